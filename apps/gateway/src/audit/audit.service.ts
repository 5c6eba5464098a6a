import { Injectable, Logger } from '@nestjs/common';
import { decodeCursor, encodeCursor, forbidden, invalidInput, isAdmin, zodProblems, type Caller } from '@wharf/contracts';
import type { AuthedRequest } from '../auth/authed-request';
import type { AuditEvent } from '../generated/prisma/client';
import { safeDetails } from './audit-actions';
import { AuditRepository } from './audit.repository';
import { AuditQuerySchema, type AuditEventInfo, type Outcome } from './audit.schemas';

export interface AuditEntry {
  action: string;
  outcome: Outcome;
  target?: string | null;
  status?: number | null;
  /** Only non-secret fields survive (see safeDetails). */
  details?: Record<string, unknown>;
  /** Who, when the request's own credentials do not say (e.g. the user who just logged in). */
  actor?: { sub: string; name: string; kind: string } | null;
}

const toInfo = (e: AuditEvent): AuditEventInfo => ({
  id: e.id,
  at: e.at.toISOString(),
  actor: { sub: e.actorSub, name: e.actorName, kind: e.actorKind },
  action: e.action,
  target: e.target,
  outcome: e.outcome as Outcome,
  status: e.status,
  requestId: e.requestId,
  ip: e.ip,
  details: e.details ?? null,
});

/** The audit log: records who did what (never secrets or tokens), and lets admins search it. */
@Injectable()
export class AuditService {
  private readonly log = new Logger('Audit');

  constructor(private readonly repo: AuditRepository) {}

  /** Records an entry for this request. Never throws: a failed write is logged, the request goes on. */
  async record(req: AuthedRequest | null, entry: AuditEntry): Promise<void> {
    const actor = entry.actor !== undefined ? entry.actor : req?.auth ? { ...req.auth.caller, kind: req.auth.kind } : null;
    try {
      await this.repo.insert({
        actorSub: actor?.sub ?? null,
        actorName: actor?.name ?? null,
        actorKind: actor?.kind ?? 'anonymous',
        action: entry.action,
        target: entry.target ? String(safeDetails({ t: entry.target }, null)?.t ?? '').slice(0, 300) || null : null,
        outcome: entry.outcome,
        status: entry.status ?? null,
        // the request's id (a sane X-Request-Id, else new), set by connectNats' request-id middleware
        requestId: typeof req?.id === 'string' ? req.id : null,
        ip: req?.ip ?? null,
        details: safeDetails(entry.details, null) ?? null,
      });
    } catch (e) {
      this.log.error(`could not record ${entry.action}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  async list(caller: Caller, query: unknown) {
    if (!isAdmin(caller)) throw forbidden('only admins may read the audit log');
    const parsed = AuditQuerySchema.safeParse(query ?? {});
    if (!parsed.success) throw invalidInput('invalid audit query', zodProblems(parsed.error));
    const rows = await this.repo.find({ ...parsed.data, cursor: decodeCursor(parsed.data.cursor, 1)?.[0] });
    const more = rows.length > parsed.data.limit;
    const page = more ? rows.slice(0, parsed.data.limit) : rows;
    return { items: page.map(toInfo), nextCursor: more ? encodeCursor([page[page.length - 1]!.id]) : null };
  }
}
