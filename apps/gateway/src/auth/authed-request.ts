import type { Caller } from '@wharf/contracts';
import type { Request } from 'express';
import type { AccessToken, Session } from '../generated/prisma/client';

/** How the caller of a request proved who they are. */
export type Authenticated =
  | { kind: 'token'; caller: Caller; token: AccessToken }
  | { kind: 'session'; caller: Caller; session: Session }
  | { kind: 'oidc'; caller: Caller; expiresAt: Date | null; clientId: string | null };

/** The token of an `Authorization: Bearer <token>` header, or undefined when there is none or it has another shape. */
export function bearerToken(header: string | undefined): string | undefined {
  return header === undefined ? undefined : /^Bearer\s+(\S+)$/i.exec(header)?.[1];
}

export interface AuthedRequest extends Request {
  auth?: Authenticated;
}
