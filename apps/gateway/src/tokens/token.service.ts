import { hash, randomBytes } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  decodeCursor,
  encodeCursor,
  forbidden,
  invalid,
  invalidInput,
  isAdmin,
  notFound,
  zodProblems,
  type Caller,
  type Role,
  TokenChangedEvent,
} from '@wharf/contracts';
import type { AccessToken } from '../generated/prisma/client';
import { GATEWAY_SETTINGS, type GatewaySettings } from '../gateway.config';
import { RpcClient } from '@wharf/nats';
import { PrismaService } from '../prisma/prisma.service';
import { TokenCache } from './token-cache';
import { CreateTokenSchema, serviceSubject, TOKEN_PREFIX, type TokenInfo } from './token.schemas';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** `wharf_pat_` + 40 base62 chars (~238 bits). The prefix lets secret scanners find leaked tokens. */
export function generateToken(): string {
  const bytes = randomBytes(40);
  let s = '';
  for (const b of bytes) s += ALPHABET[b % 62];
  return TOKEN_PREFIX + s;
}

/** The token's sha256, hex: what the database and the token cache know it by (one-shot `hash`: a request's lookup costs no Hash object). */
export const hashToken = (token: string): string => hash('sha256', token, 'hex');

interface TokenOptions {
  name: string;
  readOnly: boolean;
  expiresAt: Date | null;
  /** The user's own token: its roles follow the user's latest login. */
  rolesFromLogin?: boolean;
}

function tokenData(token: string, user: Caller, opts: TokenOptions, createdBy: string) {
  return {
    id: `tok_${randomBytes(8).toString('hex')}`,
    name: opts.name,
    hash: hashToken(token),
    hint: token.slice(TOKEN_PREFIX.length, TOKEN_PREFIX.length + 4),
    userSub: user.sub,
    userName: user.name,
    roles: user.roles,
    readOnly: opts.readOnly,
    expiresAt: opts.expiresAt,
    rolesFromLogin: opts.rolesFromLogin ?? false,
    createdBy,
  };
}

export interface Authenticated {
  caller: Caller;
  token: AccessToken;
}

const toInfo = (t: AccessToken): TokenInfo => ({
  id: t.id,
  name: t.name,
  hint: t.hint,
  user: { sub: t.userSub, name: t.userName },
  roles: t.roles as Role[],
  readOnly: t.readOnly,
  expiresAt: t.expiresAt?.toISOString() ?? null,
  createdAt: t.createdAt.toISOString(),
  createdBy: t.createdBy,
  lastUsedAt: t.lastUsedAt?.toISOString() ?? null,
  revokedAt: t.revokedAt?.toISOString() ?? null,
});

const authenticated = (t: AccessToken): Authenticated => ({ caller: { sub: t.userSub, name: t.userName, roles: t.roles as Role[] }, token: t });

/** Personal access tokens: random, stored hashed, with owner, roles and expiry. */
@Injectable()
export class TokenService {
  private readonly log = new Logger(TokenService.name);
  /** Database lookups under way, by token hash, with the cache generation they began in. */
  private readonly lookups = new Map<string, { generation: number; promise: Promise<AccessToken | null> }>();

  constructor(
    private readonly prisma: PrismaService,
    @Inject(GATEWAY_SETTINGS) private readonly settings: GatewaySettings,
    private readonly cache: TokenCache,
    private readonly rpc: RpcClient,
  ) {}

  /**
   * Who a token belongs to, or null when unknown, revoked or expired. Answers come from a
   * short-lived cache that revocations clear on every replica at once (see TokenCache);
   * `fresh` skips it (the router's gateway.token.verify.v1).
   */
  async authenticate(token: string, opts: { fresh?: boolean } = {}): Promise<Authenticated | null> {
    if (!token.startsWith(TOKEN_PREFIX)) return null;
    const hash = hashToken(token);
    const cached = opts.fresh ? null : this.cache.get(hash);
    if (cached) return authenticated(cached);
    const t = await (opts.fresh ? this.lookUp(hash, this.cache.currentGeneration) : this.sharedLookUp(hash));
    return t && authenticated(t);
  }

  /**
   * One lookup per token at a time: when a busy token's entry expires, its concurrent requests
   * share the query instead of sending one each (50 clients of one token made 50 queries at once,
   * every TTL: a stall of ~100 ms). A lookup begun before a change (a revocation) is never handed
   * to a request made after it.
   */
  private sharedLookUp(hash: string): Promise<AccessToken | null> {
    const generation = this.cache.currentGeneration;
    const underway = this.lookups.get(hash);
    if (underway && underway.generation === generation) return underway.promise;
    const mine = { generation, promise: this.lookUp(hash, generation) };
    this.lookups.set(hash, mine);
    const forget = () => {
      if (this.lookups.get(hash) === mine) this.lookups.delete(hash);
    };
    mine.promise.then(forget, forget);
    return mine.promise;
  }

  /** The token of `hash` from the database when it is valid (then cached, unless the cache was cleared since `generation`), else null. */
  private async lookUp(hash: string, generation: number): Promise<AccessToken | null> {
    const t = await this.prisma.accessToken.findUnique({ where: { hash } });
    if (!t || t.revokedAt || (t.expiresAt && t.expiresAt <= new Date())) return null;
    this.cache.set(hash, t, generation);
    // lastUsedAt at minute granularity keeps the hot path from writing on every request
    if (!t.lastUsedAt || Date.now() - t.lastUsedAt.getTime() > 60_000) {
      void this.prisma.accessToken.update({ where: { id: t.id }, data: { lastUsedAt: new Date() } }).catch(() => {});
    }
    return t;
  }

  /**
   * Who the personal access token (`wharf_pat_…`) of this hash (`hashToken`) belongs to when the
   * cache holds the answer, without waiting; `undefined` when it does not (then ask `authenticate`):
   * for paths that answer before the framework (the gateway's early catalog reads, which keep each
   * connection's token hash).
   */
  authenticateCachedHash(hash: string): Authenticated | undefined {
    const t = this.cache.get(hash);
    return t ? authenticated(t) : undefined;
  }

  /** Tokens changed (revoked, roles refreshed): forget cached answers here and on every replica. */
  async changed(reason: 'REVOKED' | 'ROLES', userSub: string): Promise<void> {
    this.cache.clear();
    await this.rpc.emit(TokenChangedEvent, { reason, userSub, at: new Date().toISOString() });
  }

  async create(caller: Caller, input: unknown): Promise<TokenInfo & { token: string }> {
    const parsed = CreateTokenSchema.safeParse(input ?? {});
    if (!parsed.success) throw invalidInput('invalid token request', zodProblems(parsed.error));
    const req = parsed.data;
    const { TokenDefaultTtlDays, TokenMaxTtlDays } = this.settings.gateway;
    if ((req.user || req.roles) && !isAdmin(caller)) {
      throw forbidden('only admins may mint tokens for another user or with other roles');
    }
    if (req.roles && !req.user) throw invalid('roles: give `user` too; your own token always carries your own roles');
    const days = req.expiresInDays ?? TokenDefaultTtlDays;
    if (days > TokenMaxTtlDays) {
      throw invalid(`expiresInDays: at most ${TokenMaxTtlDays} days (Gateway.TokenMaxTtlDays)`);
    }
    // A minted token is a user of its own (svc:<user>), never the OIDC user of the same name.
    const user = req.user ? { sub: serviceSubject(req.user), name: req.user, roles: req.roles ?? (['full-access'] as Role[]) } : caller;
    const expiresAt = new Date(Date.now() + days * 86_400_000);
    return this.insert(user, { name: req.name, readOnly: req.readOnly, expiresAt, rolesFromLogin: !req.user }, caller.name);
  }

  /** The token a device login (RFC 8628) hands the CLI: "device login <date>", default lifetime. */
  createForDevice(user: Caller, now = new Date()): Promise<TokenInfo & { token: string }> {
    const expiresAt = new Date(now.getTime() + this.settings.gateway.TokenDefaultTtlDays * 86_400_000);
    const name = `device login ${now.toISOString().slice(0, 10)}`;
    return this.insert(user, { name, readOnly: false, expiresAt, rolesFromLogin: true }, user.name);
  }

  private async insert(user: Caller, opts: TokenOptions, createdBy: string) {
    const token = generateToken();
    const t = await this.prisma.accessToken.create({ data: tokenData(token, user, opts, createdBy) });
    return { ...toInfo(t), token };
  }

  async list(caller: Caller, all: boolean, cursor: string | undefined, limit: number) {
    if (all && !isAdmin(caller)) throw forbidden("only admins may list everyone's tokens");
    const after = decodeCursor(cursor, 1)?.[0];
    const rows = await this.prisma.accessToken.findMany({
      where: { ...(all ? {} : { userSub: caller.sub }), ...(after ? { id: { gt: after } } : {}) },
      orderBy: { id: 'asc' },
      take: limit + 1,
    });
    const more = rows.length > limit;
    const page = more ? rows.slice(0, limit) : rows;
    return { items: page.map(toInfo), nextCursor: more ? encodeCursor([page[page.length - 1]!.id]) : null };
  }

  async revoke(caller: Caller, id: string): Promise<TokenInfo> {
    const t = await this.prisma.accessToken.findUnique({ where: { id } });
    if (!t || (t.userSub !== caller.sub && !isAdmin(caller))) throw notFound(`token ${id} not found`);
    const updated = t.revokedAt ? t : await this.prisma.accessToken.update({ where: { id }, data: { revokedAt: new Date() } });
    await this.changed('REVOKED', t.userSub);
    return toInfo(updated);
  }

  /**
   * The first admin token, created once across replicas. Returns the secret when this call
   * created it (the caller prints it once), else null.
   */
  async bootstrapAdmin(): Promise<string | null> {
    const fixed = this.settings.gateway.BootstrapAdminToken;
    return this.prisma.$transaction(async (tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext('wharf:bootstrap-admin'))`;
      if (fixed) {
        const exists = await tx.accessToken.findUnique({ where: { hash: hashToken(fixed) } });
        await tx.bootstrapStep.upsert({ where: { key: 'admin-token' }, create: { key: 'admin-token' }, update: {} });
        if (exists) return null;
      } else if (await tx.bootstrapStep.findUnique({ where: { key: 'admin-token' } })) {
        return null;
      } else {
        await tx.bootstrapStep.create({ data: { key: 'admin-token' } });
      }
      const token = fixed ?? generateToken();
      // a minted user of its own like every token an admin mints: no OIDC account can be it
      const admin: Caller = { sub: serviceSubject('admin'), name: 'admin', roles: ['admin', 'full-access'] };
      await tx.accessToken.create({
        data: tokenData(token, admin, { name: 'bootstrap admin', readOnly: false, expiresAt: null }, 'bootstrap'),
      });
      this.log.log('created the bootstrap admin token');
      return fixed ? null : token;
    });
  }
}
