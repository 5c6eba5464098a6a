import { Controller, Get, Inject, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { BASE_URL_PREFIX, INSTANCE_ID_PATTERN, internal, notFound } from '@wharf/contracts';
import type { Request, Response } from 'express';
import { AllowAnonymous } from '../auth/auth.guard';
import { GATEWAY_SETTINGS, publicUrlOf, type GatewaySettings } from '../gateway.config';
import { appsOriginOf, baseUrlHost, type AppsOrigin } from '../identity/tickets/ticket-host';

/** `/instance`, the prefix without its trailing slash: the gateway's path of this redirect. */
export const INSTANCE_REDIRECT_PREFIX = BASE_URL_PREFIX.slice(0, -1);

/** `host[:port]` of a URL with its port always written, for comparing where two URLs lead. */
const hostAndPort = (host: string, scheme: string, port: string | number) => `${host.toLowerCase()}:${port || (scheme === 'https' ? 443 : 80)}`;

/**
 * `GET|HEAD <gateway>/instance/<id>[/<rest>][?query]`: a convenience for people who type or share
 * a gateway address: a 302 to `<AppsScheme>://<AppsDomain>[:AppsPort]/instance/<id>/<rest>[?query]`,
 * where the router serves BASE_URL instances (and redirects DOMAIN ones to their own host, so the
 * gateway need not know the mode). Never served on the gateway's own origin: an app's scripts
 * there could use the user's platform session. The web UI's own pages are `/instances/…` (plural),
 * which this does not match.
 */
@ApiExcludeController()
@AllowAnonymous()
@Controller(INSTANCE_REDIRECT_PREFIX.slice(1))
export class InstanceRedirectController {
  private readonly apps: AppsOrigin;
  /** Why redirecting would loop (the gateway is published at the bare apps host), or null. */
  private readonly loop: string | null;

  constructor(@Inject(GATEWAY_SETTINGS) settings: GatewaySettings) {
    const g = settings.gateway;
    this.apps = appsOriginOf(g);
    const pub = new URL(publicUrlOf(g));
    this.loop =
      hostAndPort(pub.hostname, pub.protocol.slice(0, -1), pub.port) === hostAndPort(g.AppsDomain, this.apps.scheme, g.AppsPort)
        ? `the gateway is published at ${pub.origin} (Gateway.PublicUrl), the apps domain itself (Gateway.AppsDomain ${g.AppsDomain}, ` +
          `Gateway.AppsPort ${g.AppsPort}), so /instance/<id>/ would redirect to itself: serve the router at the apps domain and the gateway ` +
          'at a host of its own (it must not share an origin with apps), then set Gateway.PublicUrl to it'
        : null;
  }

  @Get(['', '{*rest}'])
  redirect(@Req() req: Request, @Res() res: Response) {
    if (this.loop) throw internal(this.loop);
    // from the URL as sent (not Express's decoded params): the rest goes on to the router untouched
    const raw = req.originalUrl;
    const q = raw.indexOf('?');
    const path = q < 0 ? raw : raw.slice(0, q);
    const query = q < 0 ? '' : raw.slice(q);
    const after = path.slice(BASE_URL_PREFIX.length);
    const slash = after.indexOf('/');
    const id = slash < 0 ? after : after.slice(0, slash);
    if (!path.startsWith(BASE_URL_PREFIX) || !INSTANCE_ID_PATTERN.test(id)) {
      throw notFound(
        `${path} is not an instance's address on this gateway: ${INSTANCE_REDIRECT_PREFIX}/<instance id>/… takes an instance id ` +
          '(10 characters [a-z0-9] starting with a letter, e.g. abcde12345); see your instances at /instances',
      );
    }
    if (req.headers.host?.toLowerCase() === baseUrlHost(this.apps)) {
      // reached at the bare apps host (a proxy sending it here instead of to the router): same loop
      throw internal(
        `this request reached the gateway at ${req.headers.host}, the apps domain where the router serves instances ` +
          '(Gateway.AppsDomain and AppsPort): send that host to the router, not to the gateway',
      );
    }
    const rest = slash < 0 ? '' : after.slice(slash + 1);
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.redirect(302, `${this.apps.scheme}://${baseUrlHost(this.apps)}${BASE_URL_PREFIX}${id}/${rest}${query}`);
  }
}
