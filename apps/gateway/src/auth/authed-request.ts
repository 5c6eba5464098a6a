import type { Caller } from '@wharf/contracts';
import type { Request } from 'express';
import type { AccessToken, Session } from '../generated/prisma/client';

/** How the caller of a request proved who they are. */
export type Authenticated =
  | { kind: 'token'; caller: Caller; token: AccessToken }
  | { kind: 'session'; caller: Caller; session: Session }
  | { kind: 'oidc'; caller: Caller; expiresAt: Date | null; clientId: string | null };

export interface AuthedRequest extends Request {
  auth?: Authenticated;
}
