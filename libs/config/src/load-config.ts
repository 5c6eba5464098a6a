import { readFileSync } from 'node:fs';
import toml from 'toml';
import { z } from 'zod';

/**
 * Configuration: one TOML file (`WHARF_CONFIG`) with a section per service, every key
 * overridable by env `WHARF_<SECTION>_<KEY>` in upper snake case. Validation failures
 * stop the service naming the key, where it came from and what is wrong.
 */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

/** `MaxInstancesVisitor` → `MAX_INSTANCES_VISITOR`. */
export function envKey(section: string, key: string): string {
  const snake = (s: string) =>
    s
      .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
      .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
      .replace(/[^A-Za-z0-9]+/g, '_')
      .toUpperCase();
  return `WHARF_${snake(section)}_${snake(key)}`;
}

type Raw = Record<string, unknown>;

/** Line and column of a `toml` parse error (older versions put them on the error, newer in `location.start`). */
export function tomlErrorPosition(e: unknown): { line: number | '?'; column: number | '?' } {
  const err = e as { line?: number; column?: number; location?: { start?: { line?: number; column?: number } } };
  return {
    line: err.location?.start?.line ?? err.line ?? '?',
    column: err.location?.start?.column ?? err.column ?? '?',
  };
}

let cachedFile: { path: string; data: Raw } | undefined;

/** Reads and parses the TOML file named by `WHARF_CONFIG` (empty when unset). */
export function readConfigFile(env: NodeJS.ProcessEnv = process.env): Raw {
  const path = env.WHARF_CONFIG;
  if (!path) return {};
  if (cachedFile?.path === path) return cachedFile.data;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError([`WHARF_CONFIG=${path}: cannot read the file (${(e as Error).message})`]);
  }
  let data: Raw;
  try {
    data = toml.parse(text) as Raw;
  } catch (e) {
    const { line, column } = tomlErrorPosition(e);
    throw new ConfigError([`${path}:${line}:${column}: not valid TOML: ${(e as Error).message}`]);
  }
  cachedFile = { path, data };
  return data;
}

function baseType(schema: z.ZodType): string {
  let s = schema as unknown as { _zod: { def: { type: string; innerType?: z.ZodType; in?: z.ZodType } } };
  for (let i = 0; i < 10; i++) {
    const def = s._zod.def;
    if (['optional', 'default', 'nullable', 'prefault', 'readonly', 'catch'].includes(def.type) && def.innerType) {
      s = def.innerType as unknown as typeof s;
    } else if (def.type === 'pipe' && def.in) {
      s = def.in as unknown as typeof s;
    } else return def.type;
  }
  return 'unknown';
}

/** Parses an env override: strings stay raw; anything else is read as a TOML value (`3`, `true`, `["a","b"]`, `{ A = 1 }`). */
function parseEnvValue(raw: string, type: string): unknown {
  if (type === 'string' || type === 'enum' || type === 'literal' || type === 'template_literal') return raw;
  try {
    return (toml.parse(`v = ${raw}`) as { v: unknown }).v;
  } catch {
    return raw; // let the schema report it with the key's name
  }
}

/**
 * Loads one section. `schema` is a zod object whose keys are the TOML keys (PascalCase).
 * Every problem is reported, each with the TOML key and its env variable.
 */
export function loadSection<S extends z.ZodObject>(
  section: string,
  schema: S,
  env: NodeJS.ProcessEnv = process.env,
): z.output<S> {
  const file = readConfigFile(env);
  const fromFile = file[section];
  if (fromFile !== undefined && (typeof fromFile !== 'object' || fromFile === null || Array.isArray(fromFile))) {
    throw new ConfigError([`[${section}] must be a table`]);
  }
  const merged: Raw = { ...((fromFile as Raw | undefined) ?? {}) };
  const problems: string[] = [];
  const shape = schema.shape as Record<string, z.ZodType>;
  for (const key of Object.keys(merged)) {
    if (!(key in shape)) {
      problems.push(`${section}.${key}: unknown key (known: ${Object.keys(shape).join(', ')})`);
    }
  }
  for (const [key, field] of Object.entries(shape)) {
    const name = envKey(section, key);
    const raw = env[name];
    if (raw !== undefined) merged[key] = parseEnvValue(raw, baseType(field));
  }
  const result = schema.safeParse(merged);
  if (!result.success) {
    for (const issue of result.error.issues) {
      const [key, ...rest] = issue.path.map(String);
      const where = [section, key, ...rest].filter(Boolean).join('.');
      const envName = key ? envKey(section, key) : undefined;
      const source = envName && env[envName] !== undefined ? ` (from env ${envName})` : envName ? ` (env ${envName})` : '';
      problems.push(`${where}${source}: ${issue.message}`);
    }
  }
  if (problems.length) throw new ConfigError(problems);
  return result.data as z.output<S>;
}
