import http from 'node:http';
import { Inject, Injectable } from '@nestjs/common';
import { INTERNAL_TOKEN_HEADER, signInternalToken, unavailable, type Caller } from '@wharf/contracts';
import { GATEWAY_SETTINGS, type GatewaySettings } from '../gateway.config';

/** Streams to and from the repository's internal HTTP port with a signed caller assertion. */
@Injectable()
export class RepositoryHttpClient {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

  constructor(@Inject(GATEWAY_SETTINGS) private readonly settings: GatewaySettings) {}

  /** Starts a request; the caller writes/pipes the body and reads the response. */
  request(
    method: string,
    path: string,
    caller: Caller | null,
    scope: string,
    headers: http.OutgoingHttpHeaders = {},
  ): { req: http.ClientRequest; response: Promise<http.IncomingMessage> } {
    const url = new URL(path, this.settings.gateway.RepositoryUrl);
    const req = http.request(url, {
      method,
      agent: this.agent,
      headers: { ...headers, [INTERNAL_TOKEN_HEADER]: signInternalToken(this.settings.platform.InternalSecret, caller, scope) },
    });
    const response = new Promise<http.IncomingMessage>((resolve, reject) => {
      req.on('response', resolve);
      req.on('error', (e) =>
        reject(
          (e as NodeJS.ErrnoException).code === 'ECONNREFUSED'
            ? unavailable(`the repository is not reachable at ${this.settings.gateway.RepositoryUrl}`)
            : e,
        ),
      );
    });
    return { req, response };
  }
}
