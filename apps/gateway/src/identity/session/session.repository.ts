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

  /**
   * A login carries the user's current roles (from the provider): every session of theirs, their
   * own tokens and their approved-but-unclaimed device logins take them, so lowered roles apply
   * at the next use of each. Admin-minted tokens (svc:<user>) are other users and keep theirs.
   * Returns how many tokens changed (their cached answers must be dropped on every replica).
   */
  async refreshRoles(user: Caller): Promise<{ sessions: number; tokens: number }> {
    const [sessions, tokens] = await this.prisma.$transaction([
      this.prisma.session.updateMany({ where: { userSub: user.sub }, data: { roles: user.roles, userName: user.name } }),
      this.prisma.accessToken.updateMany({
        where: { userSub: user.sub, rolesFromLogin: true, revokedAt: null },
        data: { roles: user.roles, userName: user.name },
      }),
      this.prisma.deviceAuthorization.updateMany({
        where: { approvedSub: user.sub, status: 'APPROVED' },
        data: { approvedRoles: user.roles, approvedName: user.name },
      }),
    ]);
    return { sessions: sessions.count, tokens: tokens.count };
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
