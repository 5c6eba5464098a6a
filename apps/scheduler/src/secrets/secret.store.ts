import { existsSync, mkdirSync, statSync, chmodSync } from 'node:fs';
import path from 'node:path';
import { invalid } from '@wharf/contracts';
import { z } from 'zod';
import { readJson, withFileLock, writeJsonAtomic } from '../common/file-lock';

export interface SecretSummary {
  name: string;
  keys: string[];
  updatedAt: string;
}

export interface SecretRef {
  /** The env variable it fills. */
  env: string;
  secret: string;
  key: string;
}

/** Admin-managed secrets that `[[Env]]` entries name (Kubernetes later: Secrets in the namespace). */
export interface SecretStore {
  put(name: string, data: Record<string, string>): Promise<SecretSummary>;
  list(): Promise<SecretSummary[]>;
  delete(name: string): Promise<boolean>;
  /** Values of the referenced keys; INVALID naming every missing secret or key (nothing starts then). */
  resolve(refs: SecretRef[]): Promise<Record<string, string>>;
}

export const SECRET_STORE = Symbol('SECRET_STORE');

const FileSchema = z.object({
  secrets: z.record(z.string(), z.object({ data: z.record(z.string(), z.string()), updatedAt: z.string() })),
});
type SecretsFile = z.infer<typeof FileSchema>;

/**
 * Process driver: one JSON file (`<DataDir>/secrets.json`, mode 0600), changed under a file lock
 * and replaced atomically, so replicas sharing the data dir never lose each other's writes.
 */
export class LocalSecretStore implements SecretStore {
  private readonly lock: string;

  constructor(private readonly file: string) {
    this.lock = `${file}.lock`;
  }

  private read(): SecretsFile {
    const raw = readJson(this.file);
    if (raw === null) return { secrets: {} };
    const parsed = FileSchema.safeParse(raw);
    if (!parsed.success) throw invalid(`${this.file} is not a valid secrets file`);
    return parsed.data;
  }

  private ensureDir(): void {
    mkdirSync(path.dirname(this.file), { recursive: true });
    if (existsSync(this.file) && (statSync(this.file).mode & 0o077) !== 0) chmodSync(this.file, 0o600);
  }

  private summary(name: string, s: SecretsFile['secrets'][string]): SecretSummary {
    return { name, keys: Object.keys(s.data).sort(), updatedAt: s.updatedAt };
  }

  async put(name: string, data: Record<string, string>): Promise<SecretSummary> {
    this.ensureDir();
    return withFileLock(this.lock, async () => {
      const f = this.read();
      f.secrets[name] = { data, updatedAt: new Date().toISOString() };
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

  async resolve(refs: SecretRef[]): Promise<Record<string, string>> {
    if (refs.length === 0) return {};
    const f = this.read();
    const out: Record<string, string> = {};
    const missing: string[] = [];
    for (const r of refs) {
      const s = f.secrets[r.secret];
      const v = s?.data[r.key];
      if (v === undefined) {
        missing.push(s ? `key ${r.key} of secret ${r.secret} (for ${r.env}) does not exist` : `secret ${r.secret} (for ${r.env}) does not exist`);
      } else out[r.env] = v;
    }
    if (missing.length) {
      throw invalid(`the app needs secrets that are not set: ${missing.join('; ')}; ask an admin to create them (scheduler.secret.put.v1)`, {
        missing: refs.filter((r) => f.secrets[r.secret]?.data[r.key] === undefined),
      });
    }
    return out;
  }
}
