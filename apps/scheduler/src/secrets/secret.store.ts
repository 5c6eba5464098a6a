import { existsSync, mkdirSync, statSync, chmodSync } from 'node:fs';
import path from 'node:path';
import { Logger } from '@nestjs/common';
import { invalid, type SecretGrants } from '@wharf/contracts';
import { z } from 'zod';
import { readJson, withFileLock, writeJsonAtomic } from '../common/file-lock';
import { byName, keptGrants, NO_GRANTS, resolveSecretRefs, secretSummary } from './secret-access';

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

/**
 * Admin-managed secrets that `[[Env]]` entries name: LocalSecretStore (process driver) and
 * KubeSecretStore (Kubernetes Secrets in the instances' namespace). Both follow the rules of
 * `secret-access.ts` (grants kept, grant checks, the one refusal).
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

export const SECRET_STORE = Symbol('SECRET_STORE');

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
      return (name) => (Object.hasOwn(f.secrets, name) ? f.secrets[name] : undefined);
    });
  }
}
