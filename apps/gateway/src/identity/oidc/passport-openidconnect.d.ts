// Minimal types for passport-openidconnect 0.1.2 (CommonJS, no bundled types): what Wharf uses.
declare module 'passport-openidconnect' {
  namespace OpenIDConnectStrategy {
    interface StrategyOptions {
      issuer: string;
      authorizationURL: string;
      tokenURL: string;
      userInfoURL?: string;
      clientID: string;
      clientSecret: string;
      callbackURL: string;
      scope?: string | string[];
      nonce?: boolean;
      skipUserProfile?: boolean;
      store?: StateStore;
      passReqToCallback?: false;
    }
    interface StateContext {
      nonce?: string;
      maxAge?: number;
      issued?: Date;
    }
    interface StateStore {
      store(req: unknown, ctx: StateContext, appState: unknown, meta: unknown, cb: (err: Error | null, handle?: string) => void): void;
      verify(req: unknown, handle: string, cb: (err: Error | null, ctx?: StateContext | false, state?: unknown) => void): void;
    }
    type VerifyCallback = (err: Error | null, user?: unknown, info?: unknown) => void;
    type VerifyFunction = (
      issuer: string,
      profile: unknown,
      context: unknown,
      idToken: string,
      accessToken: string,
      refreshToken: string,
      params: unknown,
      done: VerifyCallback,
    ) => void;
    interface OAuth2Client {
      getOAuthAccessToken(
        code: string,
        params: Record<string, string>,
        callback: (err: unknown, accessToken?: string, refreshToken?: string, results?: Record<string, unknown>) => void,
      ): void;
    }
  }

  class OpenIDConnectStrategy {
    constructor(options: OpenIDConnectStrategy.StrategyOptions, verify: OpenIDConnectStrategy.VerifyFunction);
    name: string;
    authenticate(req: unknown, options?: unknown): void;
    _oauth2: OpenIDConnectStrategy.OAuth2Client;
    authorizationParams(options: Record<string, unknown>): Record<string, string>;
  }
  export = OpenIDConnectStrategy;
}
