import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { AuditEvent, Prisma } from '../generated/prisma/client';
import { PrismaService } from '../prisma/prisma.service';
import type { AuditQuery } from './audit.schemas';

export interface AuditRow {
  actorSub: string | null;
  actorName: string | null;
  actorKind: string;
  action: string;
  target: string | null;
  outcome: string;
  status: number | null;
  requestId: string | null;
  ip: string | null;
  details: Record<string, unknown> | null;
}

/** Time-ordered ids: 12 hex digits of epoch ms, then randomness (sorts like `at`, unique across replicas). */
export const auditId = (now = Date.now()): string => `${now.toString(16).padStart(12, '0')}${randomBytes(6).toString('hex')}`;

/** The audit table (gateway schema). Append-only from the application's side. */
@Injectable()
export class AuditRepository {
  constructor(private readonly prisma: PrismaService) {}

  async insert(row: AuditRow): Promise<void> {
    await this.prisma.auditEvent.create({
      data: { ...row, id: auditId(), details: (row.details ?? undefined) as Prisma.InputJsonValue | undefined },
    });
  }

  /** Newest first; `cursor` is the last id of the previous page (decoded from the page cursor). */
  async find(q: AuditQuery): Promise<AuditEvent[]> {
    const and: Prisma.AuditEventWhereInput[] = [];
    if (q.actor) and.push({ OR: [{ actorSub: q.actor }, { actorName: q.actor }] });
    if (q.action) and.push(q.action.endsWith('*') ? { action: { startsWith: q.action.slice(0, -1) } } : { action: q.action });
    if (q.target) and.push({ target: q.target });
    if (q.outcome) and.push({ outcome: q.outcome });
    if (q.since) and.push({ at: { gte: new Date(q.since) } });
    if (q.until) and.push({ at: { lt: new Date(q.until) } });
    if (q.cursor) and.push({ id: { lt: q.cursor } });
    return this.prisma.auditEvent.findMany({ where: { AND: and }, orderBy: { id: 'desc' }, take: q.limit + 1 });
  }
}
