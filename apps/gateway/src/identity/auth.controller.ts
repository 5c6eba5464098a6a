import { Controller, Get, Inject, Post, Query, Req, Res, UseGuards } from '@nestjs/common';
import { ApiCookieAuth, ApiExcludeEndpoint, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { AliasContracts, CallerSchema, hostPortSuffix, invalid, INSTANCE_TICKET_PATH, safeInstancePath } from '@wharf/contracts';
import { RpcClient } from '@wharf/nats';
import type { Response } from 'express';
import { z } from 'zod';
import { AllowAnonymous, CsrfCheckedByHandler } from '../auth/auth.guard';
import type { AuthedRequest } from '../auth/authed-request';
import { markCsrfDenial } from '../auth/denials';
import { AuditedExplicitly } from '../audit/audit.watch';
import { AuditService } from '../audit/audit.service';
import { GATEWAY_SETTINGS, publicUrlOf, type GatewaySettings } from '../gateway.config';
import { ApiErrorsOf, ApiHtmlPage, ApiRedirect, ApiResponseOf } from '../openapi/zod-openapi';
import { logoutConfirmPage, messagePage } from './html';
import { LoginService } from './login/login.service';
import { OidcClient } from './oidc/oidc.client';
import { RateLimit, RateLimitGuard } from './rate-limit/rate-limit.guard';
import { safeNext } from './safe-redirect';
import { SessionService } from './session/session.service';
import { appsOriginOf, siteNext, ticketAliasHost, ticketHost, ticketHostHint, ticketSite, ticketSiteHint, type AppsOrigin } from './tickets/ticket-host';
import { TicketService } from './tickets/ticket.service';

const SessionInfoSchema = z
  .union([
    z.object({ authenticated: z.literal(false), loginUrl: z.string(), loginConfigured: z.boolean() }),
    z.object({ authenticated: z.literal(true), user: CallerSchema, csrfToken: z.string(), expiresAt: z.string() }),
  ])
  .meta({ id: 'SessionInfo' });
const LogoutSchema = z.object({ logoutUrl: z.string() }).meta({ id: 'Logout' });

const html = (res: Response, status: number, body: string) => {
  res.status(status).type('html').setHeader('Cache-Control', 'no-store');
  res.send(body);
};

/** Browser sign-in with the organisation's OpenID provider, sessions, sign-out, and instance tickets. */
@ApiTags('auth')
@AllowAnonymous()
@AuditedExplicitly()
@Controller('auth')
export class AuthController {
  private readonly publicUrl: string;
  private readonly apps: AppsOrigin;

  constructor(
    private readonly login: LoginService,
    private readonly oidc: OidcClient,
    private readonly sessions: SessionService,
    private readonly tickets: TicketService,
    private readonly audit: AuditService,
    @Inject(GATEWAY_SETTINGS) settings: GatewaySettings,
    private readonly nats: RpcClient,
  ) {
    this.publicUrl = publicUrlOf(settings.gateway);
    this.apps = appsOriginOf(settings.gateway);
  }

  @Get('login')
  @RateLimit('login')
  @UseGuards(RateLimitGuard)
  @ApiOperation({ summary: 'Sign in with the OpenID provider, then go to `next` (a path on this gateway)' })
  @ApiQuery({ name: 'next', required: false, schema: { type: 'string' }, description: 'A path on this gateway (default /)' })
  @ApiRedirect('To the OpenID provider (or to the gateway’s public URL first)')
  @ApiErrorsOf(503)
  async signIn(@Req() req: AuthedRequest, @Res() res: Response, @Query('next') next: unknown, @Query('canonical') canonical: unknown) {
    this.oidc.requireLogin();
    const target = safeNext(next, this.publicUrl);
    // The session cookie is host-only: sign in on the host the gateway is published at.
    const publicHost = new URL(this.publicUrl).host;
    if (req.headers.host !== publicHost && canonical !== '1') {
      return res.redirect(303, `${this.publicUrl}/auth/login?canonical=1&next=${encodeURIComponent(target)}`);
    }
    await this.login.begin(req, res, target);
  }

  @Get('callback')
  @RateLimit('login')
  @UseGuards(RateLimitGuard)
  @ApiExcludeEndpoint()
  async callback(@Req() req: AuthedRequest, @Res() res: Response) {
    this.oidc.requireLogin();
    const outcome = await this.login.complete(req, res);
    if (outcome.kind === 'redirected') return;
    if (outcome.kind === 'refused') {
      await this.audit.record(req, { action: 'auth.login', outcome: outcome.status < 500 ? 'denied' : 'failure', status: outcome.status, details: { reason: outcome.reason } });
      return html(res, outcome.status, messagePage('Sign-in failed', outcome.reason, { href: '/auth/login', text: 'Try again' }));
    }
    const { caller, idToken } = outcome.user;
    if (req.auth?.kind === 'session') await this.sessions.destroy(req.auth.session.id);
    const { setCookie } = await this.sessions.create(caller, idToken, req.ip ?? null);
    res.append('Set-Cookie', setCookie);
    await this.audit.record(req, {
      action: 'auth.login',
      outcome: 'success',
      status: 303,
      target: caller.sub,
      actor: { sub: caller.sub, name: caller.name, kind: 'session' },
      details: { roles: caller.roles },
    });
    res.redirect(303, safeNext(outcome.next, this.publicUrl));
  }

  @Get('session')
  @ApiOperation({ summary: 'The browser session: who is signed in, and the CSRF token to send as X-CSRF-Token on changes' })
  @ApiCookieAuth('session')
  @ApiResponseOf(200, SessionInfoSchema)
  session(@Req() req: AuthedRequest) {
    const a = req.auth;
    if (a?.kind !== 'session') return { authenticated: false, loginUrl: `/auth/login`, loginConfigured: this.oidc.loginConfigured };
    return { authenticated: true, user: a.caller, csrfToken: a.session.csrfToken, expiresAt: a.session.expiresAt.toISOString() };
  }

  @Get('logout')
  @ApiOperation({ summary: 'A page that asks to sign out (the sign-out itself is POST /auth/logout)' })
  @ApiCookieAuth('session')
  @ApiHtmlPage(200, 'The page')
  @ApiRedirect('Not signed in: to /auth/logged-out')
  logoutPage(@Req() req: AuthedRequest, @Res() res: Response) {
    if (req.auth?.kind !== 'session') return res.redirect(303, '/auth/logged-out');
    html(res, 200, logoutConfirmPage(req.auth.caller.name, req.auth.session.csrfToken));
  }

  @Post('logout')
  @CsrfCheckedByHandler()
  @RateLimit('login')
  @UseGuards(RateLimitGuard)
  @ApiOperation({ summary: 'Sign out: ends the session here and, when the provider supports it, there too (RP-initiated logout)' })
  @ApiCookieAuth('session')
  @ApiResponseOf(200, LogoutSchema, 'With `Accept: application/json`: where to go to end the provider’s session too')
  @ApiRedirect('Signed out: to the provider’s logout, or to /auth/logged-out')
  @ApiHtmlPage(403, 'The form was not sent by this site (CSRF token missing or wrong)')
  async logout(@Req() req: AuthedRequest, @Res() res: Response) {
    const wantsJson = /json/.test(String(req.headers.accept ?? ''));
    const done = (url: string) => (wantsJson ? res.status(200).json({ logoutUrl: url }) : res.redirect(303, url));
    if (req.auth?.kind !== 'session') return done('/auth/logged-out');
    const presented = req.headers['x-csrf-token'] ?? (req.body as { csrf?: unknown } | undefined)?.csrf;
    if (!this.sessions.csrfMatches(req.auth, presented)) {
      markCsrfDenial(res);
      await this.audit.record(req, { action: 'auth.logout', outcome: 'denied', status: 403, details: { reason: 'missing or wrong CSRF token' } });
      return html(res, 403, messagePage('Not signed out', 'The sign-out form was not sent by this site (CSRF token missing or wrong).', { href: '/auth/logout', text: 'Sign out' }));
    }
    const { session } = req.auth;
    await this.sessions.destroy(session.id);
    res.append('Set-Cookie', this.sessions.clearCookie());
    await this.audit.record(req, { action: 'auth.logout', outcome: 'success', status: 303, target: session.userSub });
    const providerLogout = await this.oidc.endSessionUrl(session.idTokenHint, `${this.publicUrl}/auth/logged-out`);
    done(providerLogout ?? '/auth/logged-out');
  }

  @Get('logged-out')
  @ApiExcludeEndpoint()
  loggedOut(@Res() res: Response) {
    html(res, 200, messagePage('Signed out', 'You have signed out of Wharf.', { href: '/auth/login', text: 'Sign in again' }));
  }

  /** An alias host gets tickets only while the alias exists (never an arbitrary name under the apps domain). */
  private async aliasHost(hostParam: unknown): Promise<string | null> {
    const h = ticketAliasHost(hostParam, this.apps);
    if (!h) return null;
    const { aliases } = await this.nats.rpc(AliasContracts.route, { names: [h.alias] }, null);
    return aliases.length ? h.host : null;
  }

  @Get('instance-ticket')
  @ApiOperation({
    summary: 'Opens an instance: redirects to http(s)://<host>/.wharf/ticket?t=<ticket>&next=<path> (signing in first if needed)',
    description:
      'Two forms of `host`, as the router sends them: an instance (or alias) host, `<id>.<AppsDomain>[:port]`, for instances served ' +
      'at their own host (DOMAIN); or a site, `<AppsDomain>[:port]/instance/<id>`, for instances served under a path of the bare ' +
      'apps domain (BASE_URL). The port is the router’s public port (Gateway.AppsPort), written only when it is not the ' +
      'scheme’s default. The ticket is bound to that host or site; for a site, the ticket goes to ' +
      '`http(s)://<AppsDomain>[:port]/instance/<id>/.wharf/ticket` and `next` must be a path under `/instance/<id>/`.',
  })
  @ApiCookieAuth('session')
  @ApiQuery({
    name: 'host',
    required: true,
    schema: { type: 'string' },
    description: 'The instance’s host, e.g. abcde12345.apps.example.com, or its site, e.g. apps.example.com/instance/abcde12345',
  })
  @ApiQuery({ name: 'next', required: false, schema: { type: 'string' }, description: 'A path in the instance (default /; for a site: under /instance/<id>/, the default)' })
  @ApiRedirect('To the instance with a ticket, or to /auth/login first')
  @ApiErrorsOf(400, 503)
  async instanceTicket(@Req() req: AuthedRequest, @Res() res: Response, @Query('host') hostParam: unknown, @Query('next') next: unknown) {
    // a site has a path: it can be neither an instance host nor an alias's (checked first: no lookup)
    const site = ticketSite(hostParam, this.apps);
    const host = site?.site ?? ticketHost(hostParam, this.apps) ?? (await this.aliasHost(hostParam));
    if (!host) {
      const port = hostPortSuffix(this.apps.scheme, this.apps.port);
      throw invalid(
        `host must be an instance host, ${ticketHostHint(this.apps)} (an alias must exist), e.g. abcde12345.${this.apps.domain}${port}, ` +
          `or a BASE_URL instance's site, ${ticketSiteHint(this.apps)} (no trailing slash), e.g. ${this.apps.domain}${port}/instance/abcde12345: ` +
          `${this.apps.domain} is Gateway.AppsDomain and the port Gateway.AppsPort, the router's public port (left out when it is the scheme's default)`,
      );
    }
    const path = site ? siteNext(next, site.id) : safeInstancePath(next);
    // Only a browser session gets a ticket: the router's cookie then lives exactly as long as it.
    if (req.auth?.kind !== 'session') {
      this.oidc.requireLogin();
      const back = `/auth/instance-ticket?host=${encodeURIComponent(host)}&next=${encodeURIComponent(path)}`;
      return res.redirect(303, `/auth/login?next=${encodeURIComponent(back)}`);
    }
    const ticket = await this.tickets.issue(req.auth.caller, host, req.auth.session.id);
    const scheme = this.apps.scheme;
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Referrer-Policy', 'no-referrer');
    // a site has no trailing slash: the ticket path follows it as it follows a host (…/instance/<id>/.wharf/ticket)
    res.redirect(303, `${scheme}://${host}${INSTANCE_TICKET_PATH}?t=${encodeURIComponent(ticket)}&next=${encodeURIComponent(path)}`);
  }
}
