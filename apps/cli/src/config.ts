import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CliError, UsageError } from './errors';

/** One platform the CLI knows: its gateway's URL and the personal access token to use there. */
export interface Profile {
  url: string;
  token?: string;
  /** who the token is for, as the platform said at login (shown by `config show`; never the token) */
  user?: string;
}

export interface ConfigFile {
  current?: string;
  profiles: Record<string, Profile>;
}

export const DEFAULT_PROFILE = 'default';

/**
 * Where the CLI keeps its profiles: `$WHARF_CONFIG`, else `$XDG_CONFIG_HOME/wharf/config.json`,
 * else `~/.config/wharf/config.json`. The file holds tokens: it is written with mode 0600 in a
 * directory of mode 0700.
 */
export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.WHARF_CONFIG) return path.resolve(env.WHARF_CONFIG);
  const base = env.XDG_CONFIG_HOME && path.isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : path.join(os.homedir(), '.config');
  return path.join(base, 'wharf', 'config.json');
}

export function readConfig(file: string): ConfigFile {
  if (!existsSync(file)) return { profiles: {} };
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new CliError(`${file} is not valid JSON (${(e as Error).message}): fix it, or delete it and run \`wharf config setup\` again`);
  }
  const cfg = parsed as Partial<ConfigFile> | null;
  if (!cfg || typeof cfg !== 'object' || typeof cfg.profiles !== 'object' || cfg.profiles === null) {
    throw new CliError(`${file} has no "profiles" object: fix it, or delete it and run \`wharf config setup\` again`);
  }
  for (const [name, p] of Object.entries(cfg.profiles)) {
    if (!p || typeof p.url !== 'string') throw new CliError(`${file}: profile "${name}" has no "url": fix it, or run \`wharf config setup --profile ${name}\``);
  }
  return { current: cfg.current, profiles: cfg.profiles as Record<string, Profile> };
}

/** Writes the file whole (a temporary file renamed over it), readable by its owner only. */
export function writeConfig(file: string, cfg: ConfigFile): void {
  const dir = path.dirname(file);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(cfg, null, 2)}\n`, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
}

/** Where a command talks to, and with which token. */
export interface Target {
  url: string;
  token?: string;
  profile: string;
  /** where the URL and the token came from, for `config show` and error messages */
  urlFrom: string;
  tokenFrom: string | null;
}

/** A gateway URL as the user typed it, checked and without a trailing slash. */
export function normalizeUrl(raw: string, where: string): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new UsageError(`${where}: "${raw}" is not a URL (e.g. https://wharf.example.com or http://127.0.0.1:8080)`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new UsageError(`${where}: "${raw}" is not an http(s) URL`);
  return u.toString().replace(/\/+$/, '');
}

/**
 * The platform a command talks to: the profile (`--profile`, `$WHARF_PROFILE`, the config's
 * current one, or "default"), with `$WHARF_URL` and `$WHARF_TOKEN` (and `--url`) over it.
 */
export function resolveTarget(opts: { profile?: string; url?: string }, env: NodeJS.ProcessEnv = process.env): Target {
  const file = configPath(env);
  const cfg = readConfig(file);
  const profile = opts.profile ?? env.WHARF_PROFILE ?? cfg.current ?? DEFAULT_PROFILE;
  const p = cfg.profiles[profile];
  if ((opts.profile || env.WHARF_PROFILE) && !p && !env.WHARF_URL && !opts.url) {
    const known = Object.keys(cfg.profiles);
    throw new CliError(`no profile "${profile}" in ${file}${known.length ? ` (there: ${known.join(', ')})` : ''}: create it with \`wharf config setup --profile ${profile} --url <gateway URL>\``);
  }
  const url = opts.url ? { v: normalizeUrl(opts.url, '--url'), from: '--url' } : env.WHARF_URL ? { v: normalizeUrl(env.WHARF_URL, 'WHARF_URL'), from: 'WHARF_URL' } : p ? { v: p.url, from: `profile ${profile} (${file})` } : null;
  if (!url) throw new CliError(`no Wharf to talk to: run \`wharf config setup --url <gateway URL>\`, or set WHARF_URL`);
  const token = env.WHARF_TOKEN ? { v: env.WHARF_TOKEN, from: 'WHARF_TOKEN' } : p?.token ? { v: p.token, from: `profile ${profile} (${file})` } : null;
  return { url: url.v, token: token?.v, profile, urlFrom: url.from, tokenFrom: token?.from ?? null };
}
