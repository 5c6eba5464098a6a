import { randomBytes } from 'node:crypto';
import { Controller, Get, HttpCode, Inject, Param, Post, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import {
  BASE_URL_PREFIX,
  guestCaller,
  hostPortSuffix,
  instanceBasePath,
  INSTANCE_TICKET_PATH,
  SchedulerContracts,
  SHARE_LINK_PATH,
  type Caller,
  type InstanceShare as ShareInfo,
  type RoutingMode,
} from '@wharf/contracts';
import { RpcClient } from '@wharf/nats';
import type { Response } from 'express';
import { AllowAnonymous, CsrfCheckedByHandler } from '../auth/auth.guard';
import type { AuthedRequest } from '../auth/authed-request';
import { AuditedExplicitly } from '../audit/audit.watch';
import { AuditService } from '../audit/audit.service';
import type { InstanceShare } from '../generated/prisma/client';
import { GATEWAY_SETTINGS, type GatewaySettings } from '../gateway.config';
import { esc, messagePage, page } from '../identity/html';
import { OidcClient } from '../identity/oidc/oidc.client';
import { SessionService } from '../identity/session/session.service';
import { appsOriginOf, baseUrlHost, type AppsOrigin } from '../identity/tickets/ticket-host';
import { TicketService } from '../identity/tickets/ticket.service';
import { ShareService } from './share.service';

/** What the holder of a link that no longer opens is told when its instance is gone (410). */
const INSTANCE_GONE = { title: 'This share link no longer works', message: 'The instance it shared was terminated.' };

/** A link that still opens for this browser, and how its instance is served (as the scheduler says). */
interface Usable {
  share: InstanceShare;
  routingMode: RoutingMode;
}

/** Why a link no longer opens, as its holder is told (410). */
function goneMessage(state: ShareInfo['state'], share: InstanceShare): { title: string; message: string } {
  switch (state) {
    case 'EXPIRED':
      return { title: 'This share link has expired', message: `It was valid until ${share.expiresAt.toISOString().replace('T', ' ').slice(0, 16)} UTC. Ask ${share.createdByName} for a new link.` };
    case 'USED':
      return { title: 'This share link was already used', message: `It could be opened once only, and it has been. Ask ${share.createdByName} for a new link.` };
    default:
      return share.revokedReason === 'TERMINATED'
        ? INSTANCE_GONE
        : { title: 'This share link was revoked', message: `${share.createdByName} (or an admin) took it back. Ask them for a new link if you still need it.` };
  }
}

/**
 * `GET <gateway>/share/<secret>`: the link someone was given. A valid link sends the browser on to
 * the instance with a ticket carrying the share (signing in first unless guests may use it); a
 * one-time link first shows a page with an Open button, so that a link preview or a scanner
 * fetching the URL does not use it up. Every use, and every refused one, is in the audit log (never
 * the secret).
 */
@ApiExcludeController()
@AllowAnonymous()
@AuditedExplicitly()
@Controller(SHARE_LINK_PATH.slice(1))
export class ShareLinkController {
  private readonly apps: AppsOrigin;

  constructor(
    private readonly shares: ShareService,
    private readonly tickets: TicketService,
    private readonly sessions: SessionService,
    private readonly oidc: OidcClient,
    private readonly audit: AuditService,
    @Inject(GATEWAY_SETTINGS) settings: GatewaySettings,
    private readonly nats: RpcClient,
  ) {
    this.apps = appsOriginOf(settings.gateway);
  }

  @Get(':secret')
  async open(@Req() req: AuthedRequest, @Res() res: Response, @Param('secret') secret: string) {
    const found = await this.usable(req, res, secret);
    if (!found) return;
    const session = req.auth?.kind === 'session' ? req.auth : null;
    if (found.share.oneTime) {
      const who = session ? `You are signed in as <b>${esc(session.caller.name)}</b>.` : 'You will open it as a guest.';
      return html(
        res,
        200,
        page(
          'Open a shared instance',
          `<h1>Open a shared instance</h1><p>${esc(found.share.createdByName)} shared an instance with you. This link opens <b>once</b>: use it from the browser you want to view it in.</p>
<p class="muted">${who}</p>
<form method="post" action="${esc(`${SHARE_LINK_PATH}/${secret}`)}">${session ? `<input type="hidden" name="csrf" value="${esc(session.session.csrfToken)}">` : ''}
<div class="row"><button type="submit" id="open">Open</button></div></form>`,
        ),
      );
    }
    await this.enter(req, res, found);
  }

  @Post(':secret')
  @HttpCode(303)
  @CsrfCheckedByHandler()
  async confirm(@Req() req: AuthedRequest, @Res() res: Response, @Param('secret') secret: string) {
    const found = await this.usable(req, res, secret);
    if (!found) return;
    if (req.auth?.kind === 'session' && !this.sessions.csrfMatches(req.auth, (req.body as { csrf?: unknown } | undefined)?.csrf)) {
      return html(res, 403, messagePage('Not opened', 'The form was not sent by this site (CSRF token missing or wrong). Open the link again.'));
    }
    await this.enter(req, res, found);
  }

  /** The share and where it is served, if the link still opens for this browser; otherwise the page saying why (or the sign-in) is sent. */
  private async usable(req: AuthedRequest, res: Response, secret: string): Promise<Usable | null> {
    const found = await this.shares.find(secret);
    if (found.kind === 'unknown') {
      await this.audit.record(req, { action: 'share.use', outcome: 'denied', status: 404, details: { reason: 'unknown link' } });
      html(res, 404, messagePage('This share link is not valid', 'Check that you copied the whole link, or ask whoever shared it for a new one.'));
      return null;
    }
    const { share, state } = found;
    if (state !== 'ACTIVE') {
      await this.refused(req, share, state.toLowerCase());
      const m = goneMessage(state, share);
      html(res, 410, messagePage(m.title, m.message));
      return null;
    }
    if (!share.anonymous && req.auth?.kind !== 'session') {
      this.oidc.requireLogin();
      res.setHeader('Cache-Control', 'no-store');
      res.setHeader('Referrer-Policy', 'no-referrer');
      res.redirect(303, `/auth/login?next=${encodeURIComponent(`${SHARE_LINK_PATH}/${secret}`)}`);
      return null;
    }
    // Asked before the Open page and before the use: a link to an instance that is gone must not be
    // used up or offer to open. No caller: a guest may not see the instance, only where it is
    // served. The scheduler not answering is the usual 503.
    const { instances } = await this.nats.rpc(SchedulerContracts.locate, { ids: [share.instanceId] }, null);
    const served = instances.find((i) => i.id === share.instanceId);
    if (!served) {
      // terminated (or never there): its links should have ended with it; had the event been
      // missed, they end now, so that the owner's list and the routers' check agree with this page
      await this.shares.instanceTerminated(share.instanceId);
      await this.refused(req, share, 'instance gone');
      html(res, 410, messagePage(INSTANCE_GONE.title, INSTANCE_GONE.message));
      return null;
    }
    return { share, routingMode: served.routingMode };
  }

  /** Uses the link (once, atomically), records it, and sends the browser on to the instance with a ticket. */
  private async enter(req: AuthedRequest, res: Response, { share, routingMode }: Usable): Promise<void> {
    const used = await this.shares.use(share);
    if (!used.ok) {
      await this.refused(req, share, used.state.toLowerCase());
      const m = goneMessage(used.state, share);
      return html(res, 410, messagePage(m.title, m.message));
    }
    const session = req.auth?.kind === 'session' ? req.auth : null;
    const caller: Caller = session?.caller ?? guestCaller(randomBytes(9).toString('base64url'));
    // BASE_URL: the ticket is for the instance's site, `<AppsDomain>[:port]/instance/<id>`, as the
    // router redeems it there; never for the bare apps host, which every BASE_URL instance shares
    const site =
      routingMode === 'BASE_URL'
        ? `${baseUrlHost(this.apps)}${BASE_URL_PREFIX}${share.instanceId}`
        : `${share.instanceId}.${this.apps.domain}${hostPortSuffix(this.apps.scheme, this.apps.port)}`;
    const ticket = await this.tickets.issue(caller, site, session?.session.id ?? null, share.id);
    await this.audit.record(req, {
      action: 'share.use',
      outcome: 'success',
      status: 303,
      target: share.id,
      actor: { sub: caller.sub, name: caller.name, kind: session ? 'session' : 'guest' },
      details: { instanceId: share.instanceId, shareId: share.id, guest: !session, uses: used.share.uses },
    });
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Referrer-Policy', 'no-referrer');
    // the ticket path follows a site as it follows a host (…/instance/<id>/.wharf/ticket); next is the instance's start
    const next = instanceBasePath(share.instanceId, routingMode);
    res.redirect(303, `${this.apps.scheme}://${site}${INSTANCE_TICKET_PATH}?t=${encodeURIComponent(ticket)}&next=${encodeURIComponent(next)}`);
  }

  /** Audits a refused use; `reason` is the link's state in lower case, or `instance gone`. */
  private refused(req: AuthedRequest, share: InstanceShare, reason: string): Promise<void> {
    return this.audit.record(req, {
      action: 'share.use',
      outcome: 'denied',
      status: 410,
      target: share.id,
      details: { instanceId: share.instanceId, shareId: share.id, reason },
    });
  }
}

function html(res: Response, status: number, body: string): void {
  res.status(status).type('html').setHeader('Cache-Control', 'no-store');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.send(body);
}
