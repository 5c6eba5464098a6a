import { existsSync, mkdirSync, statSync, chmodSync } from 'node:fs';
import path from 'node:path';
import { Logger } from '@nestjs/common';
import { invalid, type SecretGrants } from '@wharf/contracts';
import { z } from 'zod';
import { readJson, withFileLock, writeJsonAtomic } from '../common/file-lock';

export interface SecretSummary {
  name: string;
  keys: string[];
  grants: SecretGrants;
  updatedAt: string;
}

export interface SecretRef {
  /** The env variable it fills. */
  env: string;
  secret: string;
  key: string;
}

/** Who asks for secrets: the app version's name and its owner (the author of the code that reads them). */
export interface SecretGrantee {
  app: string;
  owner: string;
  /** False for a version another user published under the name before names had owners: grants to the name do not cover it. */
  byNameOwner: boolean;
}

/** Admin-managed secrets that `[[Env]]` entries name (Kubernetes later: Secrets in the namespace). */
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

export const isGranted = (grants: SecretGrants, who: SecretGrantee): boolean =>
  (who.byNameOwner && grants.apps.includes(who.app)) || grants.owners.includes(who.owner);

/**
 * The one refusal for secrets an app may not read, naming only what the app itself wrote (its env
 * names): the same text whichever secret or key is missing or not granted, for any app.
 */
export function secretsRefused(refused: SecretRef[]) {
  const envs = [...new Set(refused.map((r) => r.env))];
  return invalid(
    `the app cannot start: its [[Env]] ${envs.join(', ')} ${envs.length === 1 ? 'names a secret' : 'name secrets'} that it was not granted or that is not set; ` +
      `ask an admin to create the secret with that key and grant it to this app's name or its owner (PUT /api/v1/secrets/<name> with "grants")`,
    { env: envs },
  );
}

export const SECRET_STORE = Symbol('SECRET_STORE');

const NO_GRANTS: SecretGrants = { apps: [], owners: [] };

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
});
type SecretsFile = z.infer<typeof FileSchema>;

/**
 * Process driver: one JSON file (`<DataDir>/secrets.json`, mode 0600), changed under a file lock
 * and replaced atomically, so replicas sharing the data dir never lose each other's writes.
 */
export class LocalSecretStore implements SecretStore {
  private readonly log = new Logger('Secrets');
  private readonly lock: string;

  constructor(private readonly file: string) {
    this.lock = `${file}.lock`;
  }

  private read(): SecretsFile {
    const raw = readJson(this.file);
    if (raw === null) return { secrets: {} };
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

  private summary(name: string, s: SecretsFile['secrets'][string]): SecretSummary {
    return { name, keys: Object.keys(s.data).sort(), grants: { apps: [...s.grants.apps].sort(), owners: [...s.grants.owners].sort() }, updatedAt: s.updatedAt };
  }

  async put(name: string, data: Record<string, string>, grants?: SecretGrants): Promise<SecretSummary> {
    this.ensureDir();
    return withFileLock(this.lock, async () => {
      const f = this.read();
      const kept = grants ?? f.secrets[name]?.grants ?? NO_GRANTS;
      f.secrets[name] = { data, grants: { apps: [...new Set(kept.apps)], owners: [...new Set(kept.owners)] }, updatedAt: new Date().toISOString() };
      writeJsonAtomic(this.file, f, 0o600);
      return this.summary(name, f.secrets[name]);
    });
  }

  async list(): Promise<SecretSummary[]> {
    const f = this.read();
    return Object.entries(f.secrets)
      .map(([n, s]) => this.summary(n, s))
      .sort((a, b) => a.name.localeCompare(b.name));
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
    if (refs.length === 0) return {};
    const f = this.read();
    const out: Record<string, string> = {};
    const refused: SecretRef[] = [];
    for (const r of refs) {
      const s = Object.hasOwn(f.secrets, r.secret) ? f.secrets[r.secret] : undefined;
      const v = s && isGranted(s.grants, grantee) && Object.hasOwn(s.data, r.key) ? s.data[r.key] : undefined;
      if (v === undefined) refused.push(r);
      else out[r.env] = v;
    }
    if (refused.length) throw secretsRefused(refused);
    return out;
  }
}
