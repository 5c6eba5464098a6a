import { Injectable } from '@nestjs/common';
import type { Caller } from '@wharf/contracts';
import type { Session } from '../../generated/prisma/client';
import { PrismaService } from '../../prisma/prisma.service';

/** Browser sessions and login transactions in the gateway's Postgres schema. */
@Injectable()
export class SessionRepository {
  constructor(private readonly prisma: PrismaService) {}

  create(data: { id: string; user: Caller; csrfToken: string; idTokenHint: string | null; ip: string | null; expiresAt: Date }): Promise<Session> {
    const { user, ...rest } = data;
    return this.prisma.session.create({ data: { ...rest, userSub: user.sub, userName: user.name, roles: user.roles } });
  }

  find(id: string): Promise<Session | null> {
    return this.prisma.session.findUnique({ where: { id } });
  }

  async touch(id: string): Promise<void> {
    await this.prisma.session.updateMany({ where: { id }, data: { lastSeenAt: new Date() } });
  }

  async delete(id: string): Promise<void> {
    await this.prisma.session.deleteMany({ where: { id } });
  }

  /** The user's own tokens follow the roles of their latest login. */
  async refreshTokenRoles(user: Caller): Promise<number> {
    const r = await this.prisma.accessToken.updateMany({
      where: { userSub: user.sub, rolesFromLogin: true, revokedAt: null },
      data: { roles: user.roles, userName: user.name },
    });
    return r.count;
  }

  async createLoginTransaction(data: { id: string; browserHash: string; nonce: string | null; codeVerifier: string; next: string; expiresAt: Date }) {
    await this.prisma.loginTransaction.create({ data });
  }

  /** Removes and returns a login transaction: each `state` is good for one callback. */
  async takeLoginTransaction(id: string) {
    const rows = await this.prisma.$transaction(async (tx) => {
      const row = await tx.loginTransaction.findUnique({ where: { id } });
      if (!row) return null;
      const { count } = await tx.loginTransaction.deleteMany({ where: { id } });
      return count === 1 ? row : null;
    });
    return rows;
  }

  /** Drops expired sessions, login transactions, tickets and device codes. */
  async sweep(now = new Date()): Promise<void> {
    const old = new Date(now.getTime() - 3600_000);
    await this.prisma.$transaction([
      this.prisma.session.deleteMany({ where: { expiresAt: { lt: now } } }),
      this.prisma.loginTransaction.deleteMany({ where: { expiresAt: { lt: now } } }),
      this.prisma.instanceTicket.deleteMany({ where: { expiresAt: { lt: old } } }),
      this.prisma.deviceAuthorization.deleteMany({ where: { expiresAt: { lt: old } } }),
    ]);
  }
}
