import { randomBytes } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  conflict,
  CreateShareSchema,
  forbidden,
  invalid,
  invalidInput,
  isAdmin,
  notFound,
  SchedulerContracts as S,
  SHARE_LINK_PATH,
  SHARE_SECRET_PATTERN,
  shareDurationSeconds,
  ShareRevokedEvent,
  unauthenticated,
  zodProblems,
  type Caller,
  type Instance,
  type InstanceShare as ShareInfo,
} from '@wharf/contracts';
import { RpcClient } from '@wharf/nats';
import type { InstanceShare } from '../generated/prisma/client';
import { GATEWAY_SETTINGS, publicUrlOf, type GatewaySettings } from '../gateway.config';
import { PrismaService } from '../prisma/prisma.service';
import { hashShareSecret, newShareSecret, shareGrants, shareState, toShareInfo } from './share-state';

/** What opening a link finds: nothing (unknown or malformed secret), or the share and whether it still opens. */
export type FoundShare = { kind: 'unknown' } | { kind: 'found'; share: InstanceShare; state: ShareInfo['state'] };

/**
 * Share links of instances: made, listed and revoked by the instance's owner and admins; used by
 * whoever holds the link (signed in, or a guest where allowed); checked by the routers over NATS.
 */
@Injectable()
export class ShareService {
  private readonly log = new Logger('Shares');
  private readonly cfg: GatewaySettings['gateway'];
  private readonly publicUrl: string;

  constructor(
    private readonly prisma: PrismaService,
    private readonly rpc: RpcClient,
    @Inject(GATEWAY_SETTINGS) settings: GatewaySettings,
  ) {
    this.cfg = settings.gateway;
    this.publicUrl = publicUrlOf(settings.gateway);
  }

  private get anonymousAllowed(): boolean {
    return this.cfg.AllowAnonymousShares;
  }

  /** The instance, if `caller` may share it (its owner or an admin): the scheduler answers 404 to those who may not see it. */
  private async manageable(caller: Caller, instanceId: string): Promise<Instance> {
    const instance = await this.rpc.rpc(S.get, { id: instanceId }, caller);
    if (!isAdmin(caller) && caller.sub !== instance.owner.sub) {
      throw forbidden(`only the instance's owner (${instance.owner.name}) and admins may share instance ${instance.id} or see its share links`);
    }
    return instance;
  }

  async create(caller: Caller, instanceId: string, body: unknown): Promise<{ share: ShareInfo; url: string }> {
    const parsed = CreateShareSchema.safeParse(body ?? {});
    if (!parsed.success) throw invalidInput('invalid share link request (body)', zodProblems(parsed.error));
    const req = parsed.data;
    const now = new Date();
    const maxMs = this.cfg.ShareMaxHours * 3_600_000;
    let expiresAt: Date;
    if (req.expiresAt !== undefined) {
      expiresAt = new Date(req.expiresAt);
      if (expiresAt <= now) throw invalid(`expiresAt (${req.expiresAt}) is in the past: give a time in the future, or expiresIn (e.g. 24h)`);
    } else {
      const seconds = req.expiresIn !== undefined ? shareDurationSeconds(req.expiresIn)! : Math.min(this.cfg.ShareDefaultHours, this.cfg.ShareMaxHours) * 3600;
      expiresAt = new Date(now.getTime() + seconds * 1000);
    }
    if (expiresAt.getTime() - now.getTime() > maxMs + 1000) {
      throw invalid(`${req.expiresAt !== undefined ? 'expiresAt' : 'expiresIn'} is too far off: share links last at most ${this.cfg.ShareMaxHours} h on this platform (Gateway.ShareMaxHours)`);
    }
    if (req.anonymous && !this.anonymousAllowed) {
      throw forbidden('anonymous share links are turned off on this platform (Gateway.AllowAnonymousShares = false): make a link for signed-in users, or ask an admin to allow them');
    }
    const instance = await this.manageable(caller, instanceId);
    if (instance.status === 'TERMINATED') throw conflict(`instance ${instance.id} was terminated: there is nothing left to share`);
    const secret = newShareSecret();
    const row = await this.prisma.instanceShare.create({
      data: {
        id: `sh_${randomBytes(9).toString('base64url').replace(/[-_]/g, 'x')}`,
        instanceId: instance.id,
        secretHash: hashShareSecret(secret),
        createdBySub: caller.sub,
        createdByName: caller.name,
        expiresAt,
        oneTime: req.oneTime,
        anonymous: req.anonymous,
      },
    });
    return { share: toShareInfo(row, this.anonymousAllowed, now), url: `${this.publicUrl}${SHARE_LINK_PATH}/${secret}` };
  }

  async list(caller: Caller, instanceId: string): Promise<{ items: ShareInfo[]; anonymousAllowed: boolean }> {
    const instance = await this.manageable(caller, instanceId);
    const rows = await this.prisma.instanceShare.findMany({ where: { instanceId: instance.id }, orderBy: [{ createdAt: 'desc' }, { id: 'asc' }] });
    const now = new Date();
    return { items: rows.map((r) => toShareInfo(r, this.anonymousAllowed, now)), anonymousAllowed: this.anonymousAllowed };
  }

  /** Revokes a share (idempotent): every router closes what came through it and refuses its cookies. */
  async revoke(caller: Caller, instanceId: string, shareId: string): Promise<ShareInfo> {
    const instance = await this.manageable(caller, instanceId);
    const found = await this.prisma.instanceShare.findFirst({ where: { id: shareId, instanceId: instance.id } });
    if (!found) throw notFound(`instance ${instance.id} has no share link ${shareId} (list them with GET /api/v1/instances/${instance.id}/shares)`);
    const now = new Date();
    const { count } = await this.prisma.instanceShare.updateMany({
      where: { id: found.id, revokedAt: null },
      data: { revokedAt: now, revokedReason: `REVOKED by ${caller.name}` },
    });
    // announced even when it was revoked already: a router that missed the first event hears this one
    await this.announce(found.id, found.instanceId, 'REVOKED', now);
    const row = count ? await this.prisma.instanceShare.findUniqueOrThrow({ where: { id: found.id } }) : found;
    return toShareInfo(row, this.anonymousAllowed, now);
  }

  /** The instance ended: its links stop opening and granting, everywhere. */
  async instanceTerminated(instanceId: string): Promise<void> {
    const now = new Date();
    try {
      const open = await this.prisma.instanceShare.findMany({ where: { instanceId, revokedAt: null }, select: { id: true } });
      if (open.length === 0) return;
      await this.prisma.instanceShare.updateMany({ where: { id: { in: open.map((s) => s.id) }, revokedAt: null }, data: { revokedAt: now, revokedReason: 'TERMINATED' } });
      for (const s of open) await this.announce(s.id, instanceId, 'TERMINATED', now);
    } catch (e) {
      // the routers serve a terminated instance to nobody anyway; its links then stay listed as open (other replicas try as well)
      this.log.error(`could not end the share links of terminated instance ${instanceId}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private async announce(shareId: string, instanceId: string, reason: 'REVOKED' | 'TERMINATED', at: Date): Promise<void> {
    try {
      await this.rpc.emit(ShareRevokedEvent, { shareId, instanceId, reason, at: at.toISOString() });
    } catch (e) {
      // the routers' re-check (Router.AuthCacheMs) still ends access within seconds
      this.log.warn(`could not announce that share ${shareId} ended: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  /** The share a link's secret names (a malformed or unknown secret finds nothing, alike). */
  async find(secret: string, now = new Date()): Promise<FoundShare> {
    if (!SHARE_SECRET_PATTERN.test(secret)) return { kind: 'unknown' };
    const share = await this.prisma.instanceShare.findUnique({ where: { secretHash: hashShareSecret(secret) } });
    if (!share) return { kind: 'unknown' };
    return { kind: 'found', share, state: shareState(share, this.anonymousAllowed, now) };
  }

  /**
   * Counts one use of a link, atomically: of two people opening a one-time link at once, exactly
   * one gets it. Returns the share as it is after the use, or its state when it no longer opens.
   */
  async use(share: InstanceShare, now = new Date()): Promise<{ ok: true; share: InstanceShare } | { ok: false; state: ShareInfo['state'] }> {
    if (share.anonymous && !this.anonymousAllowed) return { ok: false, state: 'REVOKED' };
    const { count } = await this.prisma.instanceShare.updateMany({
      where: { id: share.id, revokedAt: null, expiresAt: { gt: now }, ...(share.oneTime ? { uses: 0 } : {}) },
      data: { uses: { increment: 1 }, lastUsedAt: now },
    });
    const after = await this.prisma.instanceShare.findUniqueOrThrow({ where: { id: share.id } });
    if (count !== 1) return { ok: false, state: shareState(after, this.anonymousAllowed, now) === 'ACTIVE' ? 'USED' : shareState(after, this.anonymousAllowed, now) };
    return { ok: true, share: after };
  }

  /** gateway.share.check.v1: does the share still grant access, to which instance, until when. */
  async check(shareId: string): Promise<{ instanceId: string; expiresAt: string; anonymous: boolean }> {
    const share = await this.prisma.instanceShare.findUnique({ where: { id: shareId } });
    const state = share && shareGrants(share, this.anonymousAllowed);
    if (!share || state !== 'ACTIVE') throw unauthenticated(`the share link ${state === 'EXPIRED' ? 'has expired' : 'was revoked, or its instance terminated'}`);
    return { instanceId: share.instanceId, expiresAt: share.expiresAt.toISOString(), anonymous: share.anonymous };
  }
}
