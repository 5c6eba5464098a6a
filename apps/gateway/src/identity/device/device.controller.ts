import { Body, Controller, Get, HttpCode, Post, Query, Req, Res, UseGuards } from '@nestjs/common';
import { ApiConsumes, ApiCookieAuth, ApiOperation, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import { WharfError } from '@wharf/contracts';
import type { Response } from 'express';
import { z } from 'zod';
import { AllowAnonymous, CsrfCheckedByHandler } from '../../auth/auth.guard';
import type { AuthedRequest } from '../../auth/authed-request';
import { markCsrfDenial } from '../../auth/denials';
import { AuditedExplicitly } from '../../audit/audit.watch';
import { AuditService } from '../../audit/audit.service';
import { ApiErrorsOf, ApiHtmlPage, ApiRedirect, ApiResponseOf, openApiSchema } from '../../openapi/zod-openapi';
import { deviceVerifyPage, messagePage } from '../html';
import { OidcClient } from '../oidc/oidc.client';
import { RateLimit, RateLimitGuard } from '../rate-limit/rate-limit.guard';
import { SessionService } from '../session/session.service';
import { DEVICE_GRANT, DeviceService } from './device.service';
import { normalizeUserCode, formatUserCode } from './user-code';

const DeviceAuthorizationSchema = z
  .object({
    device_code: z.string(),
    user_code: z.string(),
    verification_uri: z.string(),
    verification_uri_complete: z.string(),
    expires_in: z.number().int(),
    interval: z.number().int(),
  })
  .meta({ id: 'DeviceAuthorization' });
const DeviceTokenSchema = z
  .object({ access_token: z.string(), token_type: z.literal('Bearer'), expires_in: z.number().int(), token_id: z.string() })
  .meta({ id: 'DeviceToken' });
/** RFC 6749 §5.2 / RFC 8628 §3.5: authorization_pending, slow_down, access_denied, expired_token, unsupported_grant_type… */
const OAuthErrorSchema = z.object({ error: z.string(), error_description: z.string() }).meta({ id: 'OAuthError' });
const FormOrJson = ['application/x-www-form-urlencoded', 'application/json'];

const str = (v: unknown) => (typeof v === 'string' ? v : '');
const field = (body: unknown, key: string) => (body && typeof body === 'object' ? str((body as Record<string, unknown>)[key]) : '');

const html = (res: Response, status: number, body: string) => {
  res.status(status).type('html').setHeader('Cache-Control', 'no-store');
  res.send(body);
};

/**
 * OAuth 2.0 device authorization grant (RFC 8628) for the CLI: form-encoded (or JSON) requests,
 * RFC-shaped answers (`{ error, error_description }` with 400 while pending), so standard
 * OAuth device-flow clients work too.
 */
@ApiTags('auth')
@AllowAnonymous()
@AuditedExplicitly()
@Controller('auth/device')
export class DeviceController {
  constructor(
    private readonly devices: DeviceService,
    private readonly oidc: OidcClient,
    private readonly sessions: SessionService,
    private readonly audit: AuditService,
  ) {}

  @Post()
  @HttpCode(200)
  @CsrfCheckedByHandler()
  @RateLimit('token')
  @UseGuards(RateLimitGuard)
  @ApiOperation({ summary: 'Start a device login (RFC 8628 §3.1): device_code, user_code, verification_uri(_complete), expires_in, interval' })
  @ApiConsumes(...FormOrJson)
  @ApiResponseOf(200, DeviceAuthorizationSchema)
  @ApiErrorsOf(503)
  async start(@Req() req: AuthedRequest, @Body() body: unknown) {
    this.oidc.requireLogin();
    const clientId = field(body, 'client_id').slice(0, 100) || 'wharf-cli';
    const started = await this.devices.start(clientId, req.ip ?? null);
    await this.audit.record(req, { action: 'device.start', outcome: 'success', status: 200, details: { clientId } });
    return started;
  }

  @Post('token')
  @CsrfCheckedByHandler()
  @RateLimit('device-poll')
  @UseGuards(RateLimitGuard)
  @ApiOperation({ summary: 'Poll for the token (RFC 8628 §3.4): grant_type=urn:ietf:params:oauth:grant-type:device_code&device_code=…' })
  @ApiConsumes(...FormOrJson)
  @ApiResponseOf(200, DeviceTokenSchema, 'Approved: a personal access token')
  @ApiResponse({ status: 400, schema: openApiSchema(OAuthErrorSchema), description: 'Not (yet) a token: `authorization_pending`, `slow_down`, `access_denied`, `expired_token`…' })
  async token(@Req() req: AuthedRequest, @Res() res: Response, @Body() body: unknown) {
    res.setHeader('Cache-Control', 'no-store');
    if (field(body, 'grant_type') !== DEVICE_GRANT) {
      return res.status(400).json({ error: 'unsupported_grant_type', error_description: `grant_type must be ${DEVICE_GRANT}` });
    }
    const r = await this.devices.poll(field(body, 'device_code'));
    if (!r.ok) return res.status(400).json({ error: r.error, error_description: r.description });
    await this.audit.record(req, {
      action: 'token.create',
      outcome: 'success',
      status: 200,
      target: r.tokenId,
      actor: { ...r.user, kind: 'device' },
      details: { via: 'device login' },
    });
    res.status(200).json(r.body);
  }

  @Get('verify')
  @ApiOperation({ summary: 'The page where a signed-in user enters (or sees) the user code and approves or denies' })
  @ApiCookieAuth('session')
  @ApiQuery({ name: 'user_code', required: false, schema: { type: 'string' }, description: 'The code the CLI shows (verification_uri_complete has it)' })
  @ApiHtmlPage(200, 'The page')
  @ApiRedirect('Not signed in: to /auth/login, then back here')
  verifyPage(@Req() req: AuthedRequest, @Res() res: Response, @Query('user_code') userCode: unknown) {
    const code = normalizeUserCode(userCode);
    if (req.auth?.kind !== 'session') {
      this.oidc.requireLogin();
      const back = `/auth/device/verify${code ? `?user_code=${formatUserCode(code)}` : ''}`;
      return res.redirect(303, `/auth/login?next=${encodeURIComponent(back)}`);
    }
    html(res, 200, deviceVerifyPage({ name: req.auth.caller.name, csrf: req.auth.session.csrfToken, userCode: code ? formatUserCode(code) : '' }));
  }

  @Post('verify')
  @CsrfCheckedByHandler()
  @ApiOperation({ summary: 'Approve or deny (form: csrf, user_code, decision=approve|deny)' })
  @ApiCookieAuth('session')
  @ApiConsumes('application/x-www-form-urlencoded')
  @ApiHtmlPage(200, 'Approved or denied')
  @ApiRedirect('Not signed in: to /auth/login')
  @ApiHtmlPage(400, 'A wrong or expired user code (the page again, with the error)')
  @ApiHtmlPage(403, 'The form was not sent by this site (CSRF token missing or wrong)')
  @ApiHtmlPage(429, 'Too many wrong codes (Retry-After)')
  async verify(@Req() req: AuthedRequest, @Res() res: Response, @Body() body: unknown) {
    if (req.auth?.kind !== 'session') return res.redirect(303, '/auth/login?next=%2Fauth%2Fdevice%2Fverify');
    const auth = req.auth;
    const page = (status: number, opts: Partial<Parameters<typeof deviceVerifyPage>[0]>) =>
      html(res, status, deviceVerifyPage({ name: auth.caller.name, csrf: auth.session.csrfToken, ...opts }));
    if (!this.sessions.csrfMatches(auth, field(body, 'csrf'))) {
      markCsrfDenial(res);
      await this.audit.record(req, { action: 'device.verify', outcome: 'denied', status: 403, details: { reason: 'missing or wrong CSRF token' } });
      return html(res, 403, messagePage('Refused', 'This form was not sent by this site (CSRF token missing or wrong).', { href: '/auth/device/verify', text: 'Start again' }));
    }
    const decision = field(body, 'decision') === 'deny' ? 'deny' : 'approve';
    let d;
    try {
      d = await this.devices.decide(auth.caller, field(body, 'user_code'), decision, req.ip ?? null);
    } catch (e) {
      if (!WharfError.is(e, 'LIMIT_EXCEEDED')) throw e;
      const retry = (e.details as { retryAfter?: number } | undefined)?.retryAfter ?? 60;
      res.setHeader('Retry-After', String(retry));
      await this.audit.record(req, { action: 'device.verify', outcome: 'denied', status: 429, details: { reason: 'too many wrong codes' } });
      return page(429, { error: `Too many wrong codes. Try again in ${retry} seconds.` });
    }
    if (!d.ok) {
      await this.audit.record(req, { action: 'device.verify', outcome: 'denied', status: d.status, details: { reason: d.message } });
      return page(d.status, { error: d.message, userCode: field(body, 'user_code').slice(0, 12) });
    }
    await this.audit.record(req, { action: d.decision === 'approve' ? 'device.approve' : 'device.deny', outcome: 'success', status: 200, target: d.deviceId });
    page(200, { done: d.decision === 'approve' ? 'approved' : 'denied' });
  }
}
