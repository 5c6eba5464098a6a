import { existsSync, mkdirSync, statSync, chmodSync } from 'node:fs';
import path from 'node:path';
import { Logger } from '@nestjs/common';
import { invalid, USER_SECRET_VISIBILITIES, type SecretGrants, type UserSecret, type UserSecretVisibility } from '@wharf/contracts';
import { z } from 'zod';
import { readJson, withFileLock, writeJsonAtomic } from '../common/file-lock';
import {
  byName,
  byOwnerAndName,
  keptGrants,
  nextUserSecret,
  NO_GRANTS,
  resolveSecretRefs,
  secretSummary,
  userSecretSummary,
  type StoredUserSecret,
} from './secret-access';

export interface SecretSummary {
  name: string;
  keys: string[];
  grants: SecretGrants;
  updatedAt: string;
}

export interface SecretRef {
  /** The env variable it fills. */
  env: string;
  /** A platform secret's name, or a user secret's `<owner id>/<name>` (`~/<name>`: the instance owner's). */
  secret: string;
  key: string;
}

/** Who asks for secrets: the app version's name and its owner (the author of the code that reads them), and the instance's owner. */
export interface SecretGrantee {
  app: string;
  owner: string;
  /** False for a version another user published under the name before names had owners: grants to the name do not cover it. */
  byNameOwner: boolean;
  /** The user id of who runs the instance: PRIVATE user secrets are theirs only, and `~/<name>` names theirs. */
  instanceOwner: string;
}

/** A put of a user secret (see nextUserSecret for what each mode does). */
export interface UserSecretPut {
  /** `name` left out (an admin putting another user's secret): the one it had, else the id. */
  owner: { sub: string; name?: string };
  name: string;
  /** Left out (mode `update`): the values are kept. */
  data?: Record<string, string>;
  visibility?: UserSecretVisibility;
  apps?: string[];
  mode: 'create' | 'upsert' | 'update';
}

/**
 * The secrets `[[Env]]` entries name, platform (admin-managed, by name) and user secrets (by owner
 * and name): LocalSecretStore (process driver) and KubeSecretStore (Kubernetes Secrets in the
 * instances' namespace). Both follow the rules of `secret-access.ts` (grants and visibility kept,
 * grant checks, the one refusal).
 */
export interface SecretStore {
  /** Creates or replaces a secret; `grants` left out keeps those it had (none for a new secret). */
  put(name: string, data: Record<string, string>, grants?: SecretGrants): Promise<SecretSummary>;
  list(): Promise<SecretSummary[]>;
  delete(name: string): Promise<boolean>;
  /**
   * Values of the referenced keys, when every secret is granted to the app's name or owner.
   * Otherwise INVALID with one message, the same whether a secret is missing, a key is missing
   * or the secret is not granted (an app must not learn which secrets exist); nothing starts then.
   */
  resolve(refs: SecretRef[], grantee: SecretGrantee): Promise<Record<string, string>>;
}

/** User secrets: each user's own, by owner id and name (what `~/<name>` and `<owner id>/<name>` in `[[Env]]` read). */
export interface UserSecretStore {
  /** Creates, replaces or updates a user secret (nextUserSecret's rules); `created` when there was none. */
  putUser(put: UserSecretPut): Promise<{ created: boolean; secret: UserSecret }>;
  getUser(owner: string, name: string): Promise<UserSecret | null>;
  /** One owner's user secrets (null: every owner's), by owner and name. */
  listUser(owner: string | null): Promise<UserSecret[]>;
  deleteUser(owner: string, name: string): Promise<boolean>;
}

export const SECRET_STORE = Symbol('SECRET_STORE');

const StoredUserSecretSchema = z.object({
  ownerName: z.string(),
  data: z.record(z.string(), z.string()),
  visibility: z.enum(USER_SECRET_VISIBILITIES),
  apps: z.array(z.string()),
  updatedAt: z.string(),
});

const FileSchema = z.object({
  secrets: z.record(
    z.string(),
    z.object({
      data: z.record(z.string(), z.string()),
      /** Absent in files written before grants existed: granted to nobody. */
      grants: z.object({ apps: z.array(z.string()), owners: z.array(z.string()) }).default(NO_GRANTS),
      updatedAt: z.string(),
    }),
  ),
  /** User secrets by `sub:<owner id>` (see ownerKey), then name (absent in files written before there were any). */
  users: z.record(z.string(), z.record(z.string(), StoredUserSecretSchema)).default({}),
});
type SecretsFile = z.infer<typeof FileSchema>;

const own = <T>(o: Record<string, T> | undefined, key: string): T | undefined => (o && Object.hasOwn(o, key) ? o[key] : undefined);
/** The file's key of an owner's secrets: `sub:<id>`, never a key JSON or an object treats specially (an id may be "__proto__"). */
const ownerKey = (sub: string): string => `sub:${sub}`;
const OWNER_KEY_PREFIX = 'sub:';

/**
 * Process driver: one JSON file (`<DataDir>/secrets.json`, mode 0600), changed under a file lock
 * and replaced atomically, so replicas sharing the data dir never lose each other's writes.
 */
export class LocalSecretStore implements SecretStore, UserSecretStore {
  private readonly log = new Logger('Secrets');
  private readonly lock: string;

  constructor(private readonly file: string) {
    this.lock = `${file}.lock`;
  }

  private read(): SecretsFile {
    const raw = readJson(this.file);
    if (raw === null) return { secrets: {}, users: {} };
    const parsed = FileSchema.safeParse(raw);
    if (!parsed.success) {
      // the path is for the operator's log; callers get no server path
      this.log.error(`${this.file} is not a valid secrets file: ${parsed.error.message}`);
      throw invalid('the secrets store of this scheduler is damaged; an operator must repair it (see the scheduler log)');
    }
    return parsed.data;
  }

  private ensureDir(): void {
    mkdirSync(path.dirname(this.file), { recursive: true });
    if (existsSync(this.file) && (statSync(this.file).mode & 0o077) !== 0) chmodSync(this.file, 0o600);
  }

  async put(name: string, data: Record<string, string>, grants?: SecretGrants): Promise<SecretSummary> {
    this.ensureDir();
    return withFileLock(this.lock, async () => {
      const f = this.read();
      const previous = Object.hasOwn(f.secrets, name) ? f.secrets[name] : undefined;
      const s = { data, grants: keptGrants(grants, previous?.grants), updatedAt: new Date().toISOString() };
      f.secrets[name] = s;
      writeJsonAtomic(this.file, f, 0o600);
      return secretSummary(name, s);
    });
  }

  async list(): Promise<SecretSummary[]> {
    const f = this.read();
    return Object.entries(f.secrets)
      .map(([n, s]) => secretSummary(n, s))
      .sort(byName);
  }

  async delete(name: string): Promise<boolean> {
    this.ensureDir();
    return withFileLock(this.lock, async () => {
      const f = this.read();
      if (!(name in f.secrets)) return false;
      delete f.secrets[name];
      writeJsonAtomic(this.file, f, 0o600);
      return true;
    });
  }

  async resolve(refs: SecretRef[], grantee: SecretGrantee): Promise<Record<string, string>> {
    return resolveSecretRefs(refs, grantee, () => {
      const f = this.read();
      return { platform: (name) => own(f.secrets, name), user: (owner, name) => own(own(f.users, ownerKey(owner)), name) };
    });
  }

  async putUser(put: UserSecretPut): Promise<{ created: boolean; secret: UserSecret }> {
    this.ensureDir();
    return withFileLock(this.lock, async () => {
      const f = this.read();
      const mine = own(f.users, ownerKey(put.owner.sub)) ?? {};
      const previous = own(mine, put.name);
      const s: StoredUserSecret = nextUserSecret(previous, put);
      f.users[ownerKey(put.owner.sub)] = { ...mine, [put.name]: s };
      writeJsonAtomic(this.file, f, 0o600);
      return { created: !previous, secret: userSecretSummary(put.owner.sub, put.name, s) };
    });
  }

  async getUser(owner: string, name: string): Promise<UserSecret | null> {
    const s = own(own(this.read().users, ownerKey(owner)), name);
    return s ? userSecretSummary(owner, name, s) : null;
  }

  async listUser(owner: string | null): Promise<UserSecret[]> {
    const f = this.read();
    const owners = owner === null ? Object.keys(f.users).filter((k) => k.startsWith(OWNER_KEY_PREFIX)).map((k) => k.slice(OWNER_KEY_PREFIX.length)) : [owner];
    return owners
      .flatMap((o) => Object.entries(own(f.users, ownerKey(o)) ?? {}).map(([n, s]) => userSecretSummary(o, n, s)))
      .sort(byOwnerAndName);
  }

  async deleteUser(owner: string, name: string): Promise<boolean> {
    this.ensureDir();
    return withFileLock(this.lock, async () => {
      const f = this.read();
      const mine = own(f.users, ownerKey(owner));
      if (!mine || !own(mine, name)) return false;
      delete mine[name];
      if (Object.keys(mine).length === 0) delete f.users[ownerKey(owner)];
      writeJsonAtomic(this.file, f, 0o600);
      return true;
    });
  }
}
