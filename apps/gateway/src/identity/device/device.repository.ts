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
   * A wrong user code was entered: every pending code's budget of wrong attempts shrinks, and codes
   * that used it up are locked. So no code can be guessed at more than N times, however many IPs try.
   */
  async countFailure(maxFailures: number): Promise<void> {
    const now = new Date();
    await this.prisma.$transaction([
      this.prisma.deviceAuthorization.updateMany({ where: { status: 'PENDING', expiresAt: { gt: now } }, data: { failedAttempts: { increment: 1 } } }),
      this.prisma.deviceAuthorization.updateMany({ where: { status: 'PENDING', failedAttempts: { gte: maxFailures } }, data: { status: 'LOCKED' } }),
    ]);
  }
}
