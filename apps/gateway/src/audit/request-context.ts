import { currentRequestId } from '@wharf/nats';
import type { NextFunction, Response } from 'express';
import type { AuthedRequest } from '../auth/authed-request';

/**
 * Express middleware: the request's id for the audit log. It is the one every log line of the
 * request carries (set by connectNats' request-id middleware from a sane X-Request-Id, else new).
 */
export function requestContext(req: AuthedRequest, _res: Response, next: NextFunction): void {
  req.requestId = currentRequestId() ?? (req as AuthedRequest & { id?: string }).id;
  next();
}
