import { randomUUID } from 'node:crypto';
import type { NextFunction, Response } from 'express';
import type { AuthedRequest } from '../auth/authed-request';

const GOOD_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Express middleware: a request id for logs and the audit log (the caller's X-Request-Id when sane), echoed back. */
export function requestContext(req: AuthedRequest, res: Response, next: NextFunction): void {
  const given = req.headers['x-request-id'];
  req.requestId = typeof given === 'string' && GOOD_ID.test(given) ? given : randomUUID();
  res.setHeader('X-Request-Id', req.requestId);
  next();
}
