import http from 'node:http';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { INTERNAL_TOKEN_HEADER, signInternalToken, unavailable, type Caller } from '@wharf/contracts';
import { GATEWAY_SETTINGS, type GatewaySettings } from '../gateway.config';

export type InternalService = 'repository' | 'scheduler';

/**
 * Streams to and from the services' internal HTTP ports (bundle bytes, log follows) with a
 * signed caller assertion: bytes that must not travel over NATS.
 */
@Injectable()
export class InternalHttpClient {
  private readonly log = new Logger(InternalHttpClient.name);
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

  constructor(@Inject(GATEWAY_SETTINGS) private readonly settings: GatewaySettings) {}

  private baseUrl(service: InternalService): string {
    return service === 'repository' ? this.settings.gateway.RepositoryUrl : this.settings.gateway.SchedulerUrl;
  }

  /** Starts a request; the caller writes/pipes the body and reads the response. */
  request(
    service: InternalService,
    method: string,
    path: string,
    caller: Caller | null,
    scope: string,
    headers: http.OutgoingHttpHeaders = {},
  ): { req: http.ClientRequest; response: Promise<http.IncomingMessage> } {
    const base = this.baseUrl(service);
    const req = http.request(new URL(path, base), {
      method,
      agent: this.agent,
      headers: { ...headers, [INTERNAL_TOKEN_HEADER]: signInternalToken(this.settings.platform.InternalSecret, caller, scope) },
    });
    const response = new Promise<http.IncomingMessage>((resolve, reject) => {
      req.on('response', resolve);
      req.on('error', (e) => {
        if ((e as NodeJS.ErrnoException).code !== 'ECONNREFUSED') return reject(e);
        // users get what they can act on; the internal address is for the operator's log
        this.log.warn(`the ${service} is not reachable at ${base} (${method} ${path})`);
        reject(unavailable(`the ${service} is not reachable right now; try again in a moment`));
      });
    });
    return { req, response };
  }
}
