import { Injectable } from '@nestjs/common';
import type { Authenticated } from '../auth/authed-request';
import { TOKEN_PREFIX } from '../tokens/token.schemas';
import { TokenService } from '../tokens/token.service';
import { OidcClient } from './oidc/oidc.client';

/** Who a bearer token belongs to: a personal access token, or an OIDC access token (JWT) from the configured issuer. */
@Injectable()
export class Authenticator {
  constructor(
    private readonly tokens: TokenService,
    private readonly oidc: OidcClient,
  ) {}

  /**
   * null when the token is unknown, revoked, expired or not for us. Personal access tokens come
   * from a cache that revocations clear on every replica (TokenCache); `fresh` reads the database.
   */
  async bearer(token: string, opts: { fresh?: boolean } = {}): Promise<Authenticated | null> {
    if (token.startsWith(TOKEN_PREFIX)) {
      const a = await this.tokens.authenticate(token, opts);
      return a ? { kind: 'token', ...a } : null;
    }
    const o = await this.oidc.verifyAccessToken(token);
    return o ? { kind: 'oidc', ...o } : null;
  }
}
