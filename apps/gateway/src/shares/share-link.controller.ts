import { randomBytes } from 'node:crypto';
import { Controller, Get, HttpCode, Inject, Param, Post, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { guestCaller, hostPortSuffix, INSTANCE_TICKET_PATH, SHARE_LINK_PATH, type Caller, type InstanceShare as ShareInfo } from '@wharf/contracts';
import type { Response } from 'express';
import { AllowAnonymous, CsrfCheckedByHandler } from '../auth/auth.guard';
import type { AuthedRequest } from '../auth/authed-request';
import { AuditedExplicitly } from '../audit/audit.interceptor';
import { AuditService } from '../audit/audit.service';
import type { InstanceShare } from '../generated/prisma/client';
import { GATEWAY_SETTINGS, publicUrlOf, type GatewaySettings } from '../gateway.config';
import { esc, messagePage, page } from '../identity/html';
import { OidcClient } from '../identity/oidc/oidc.client';
import { SessionService } from '../identity/session/session.service';
import { TicketService } from '../identity/tickets/ticket.service';
import { ShareService } from './share.service';

/** Why a link no longer opens, as its holder is told (410). */
function goneMessage(state: ShareInfo['state'], share: InstanceShare): { title: string; message: string } {
  switch (state) {
    case 'EXPIRED':
      return { title: 'This share link has expired', message: `It was valid until ${share.expiresAt.toISOString().replace('T', ' ').slice(0, 16)} UTC. Ask ${share.createdByName} for a new link.` };
    case 'USED':
      return { title: 'This share link was already used', message: `It could be opened once only, and it has been. Ask ${share.createdByName} for a new link.` };
    default:
      return share.revokedReason === 'TERMINATED'
        ? { title: 'This share link no longer works', message: 'The instance it shared was terminated.' }
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
  private readonly apps: { domain: string; port: number; scheme: 'http' | 'https' };

  constructor(
    private readonly shares: ShareService,
    private readonly tickets: TicketService,
    private readonly sessions: SessionService,
    private readonly oidc: OidcClient,
    private readonly audit: AuditService,
    @Inject(GATEWAY_SETTINGS) settings: GatewaySettings,
  ) {
    const g = settings.gateway;
    this.apps = { domain: g.AppsDomain, port: g.AppsPort, scheme: g.AppsScheme ?? (new URL(publicUrlOf(g)).protocol === 'https:' ? 'https' : 'http') };
  }

  @Get(':secret')
  async open(@Req() req: AuthedRequest, @Res() res: Response, @Param('secret') secret: string) {
    const found = await this.usable(req, res, secret);
    if (!found) return;
    const session = req.auth?.kind === 'session' ? req.auth : null;
    if (found.oneTime) {
      const who = session ? `You are signed in as <b>${esc(session.caller.name)}</b>.` : 'You will open it as a guest.';
      return html(
        res,
        200,
        page(
          'Open a shared instance',
          `<h1>Open a shared instance</h1><p>${esc(found.createdByName)} shared an instance with you. This link opens <b>once</b>: use it from the browser you want to view it in.</p>
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

  /** The share, if the link still opens for this browser; otherwise the page saying why (or the sign-in) is sent. */
  private async usable(req: AuthedRequest, res: Response, secret: string): Promise<InstanceShare | null> {
    const found = await this.shares.find(secret);
    if (found.kind === 'unknown') {
      await this.audit.record(req, { action: 'share.use', outcome: 'denied', status: 404, details: { reason: 'unknown link' } });
      html(res, 404, messagePage('This share link is not valid', 'Check that you copied the whole link, or ask whoever shared it for a new one.'));
      return null;
    }
    const { share, state } = found;
    if (state !== 'ACTIVE') {
      await this.refused(req, share, state);
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
    return share;
  }

  /** Uses the link (once, atomically), records it, and sends the browser on to the instance with a ticket. */
  private async enter(req: AuthedRequest, res: Response, share: InstanceShare): Promise<void> {
    const used = await this.shares.use(share);
    if (!used.ok) {
      await this.refused(req, share, used.state);
      const m = goneMessage(used.state, share);
      return html(res, 410, messagePage(m.title, m.message));
    }
    const session = req.auth?.kind === 'session' ? req.auth : null;
    const caller: Caller = session?.caller ?? guestCaller(randomBytes(9).toString('base64url'));
    const host = `${share.instanceId}.${this.apps.domain}${hostPortSuffix(this.apps.scheme, this.apps.port)}`;
    const ticket = await this.tickets.issue(caller, host, session?.session.id ?? null, share.id);
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
    res.redirect(303, `${this.apps.scheme}://${host}${INSTANCE_TICKET_PATH}?t=${encodeURIComponent(ticket)}&next=%2F`);
  }

  private refused(req: AuthedRequest, share: InstanceShare, state: ShareInfo['state']): Promise<void> {
    return this.audit.record(req, {
      action: 'share.use',
      outcome: 'denied',
      status: 410,
      target: share.id,
      details: { instanceId: share.instanceId, shareId: share.id, reason: state.toLowerCase() },
    });
  }
}

function html(res: Response, status: number, body: string): void {
  res.status(status).type('html').setHeader('Cache-Control', 'no-store');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.send(body);
}
