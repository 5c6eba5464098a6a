import { Injectable } from '@nestjs/common';
import type { Caller } from '@wharf/contracts';
import type { DeviceAuthorization } from '../../generated/prisma/client';
import { PrismaService } from '../../prisma/prisma.service';

export type DeviceStatus = 'PENDING' | 'APPROVED' | 'DENIED' | 'CONSUMED' | 'LOCKED';

/** RFC 8628 device authorizations in Postgres; every state change is a conditional update (safe across replicas). */
@Injectable()
export class DeviceRepository {
  constructor(private readonly prisma: PrismaService) {}

  create(data: { id: string; deviceCodeHash: string; userCode: string; clientId: string; intervalSeconds: number; ip: string | null; expiresAt: Date }) {
    return this.prisma.deviceAuthorization.create({ data });
  }

  byDeviceCode(hash: string): Promise<DeviceAuthorization | null> {
    return this.prisma.deviceAuthorization.findUnique({ where: { deviceCodeHash: hash } });
  }

  byUserCode(code: string): Promise<DeviceAuthorization | null> {
    return this.prisma.deviceAuthorization.findUnique({ where: { userCode: code } });
  }

  /** Moves `from` → `to` only if the row is still in `from`; true when this call made the change. */
  async transition(id: string, from: DeviceStatus, to: DeviceStatus, extra: { approvedBy?: Caller; tokenId?: string } = {}): Promise<boolean> {
    const { count } = await this.prisma.deviceAuthorization.updateMany({
      where: { id, status: from, ...(from === 'PENDING' ? { expiresAt: { gt: new Date() } } : {}) },
      data: {
        status: to,
        ...(extra.approvedBy ? { approvedSub: extra.approvedBy.sub, approvedName: extra.approvedBy.name, approvedRoles: extra.approvedBy.roles } : {}),
        ...(extra.tokenId ? { tokenId: extra.tokenId } : {}),
      },
    });
    return count === 1;
  }

  async setTokenId(id: string, tokenId: string): Promise<void> {
    await this.prisma.deviceAuthorization.update({ where: { id }, data: { tokenId } });
  }

  /** Records a poll; returns the interval to use (raised by 5 s on a too-early poll, RFC 8628 slow_down). */
  async polled(row: DeviceAuthorization, now: Date, slowDown: boolean): Promise<void> {
    await this.prisma.deviceAuthorization.update({
      where: { id: row.id },
      data: { lastPolledAt: now, ...(slowDown ? { intervalSeconds: { increment: 5 } } : {}) },
    });
  }

  /**
   * A wrong attempt on the code `userCode` (it exists but cannot be approved: expired, used, locked):
   * only that code's budget of wrong attempts shrinks, and it is locked once it is used up. Codes
   * nobody named are never touched, so wrong codes cannot lock other people's pending logins;
   * guessing is held back by the per-IP and per-user limit (Gateway.DeviceCodeFailuresPerIp) and
   * the ~2.5e10 possible user codes.
   */
  async countFailure(userCode: string, maxFailures: number): Promise<void> {
    await this.prisma.$transaction([
      this.prisma.deviceAuthorization.updateMany({ where: { userCode }, data: { failedAttempts: { increment: 1 } } }),
      this.prisma.deviceAuthorization.updateMany({ where: { userCode, status: 'PENDING', failedAttempts: { gte: maxFailures } }, data: { status: 'LOCKED' } }),
    ]);
  }
}
