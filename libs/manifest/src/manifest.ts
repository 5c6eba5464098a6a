import {
  AppNameSchema,
  CATEGORIES,
  CategorySchema,
  EnvSpecSchema,
  FileSpecSchema,
  INSTANCE_LIFECYCLES,
  ROUTING_MODES,
  QuantitySchema,
  RuntimeSpecSchema,
  invalidInput,
  type EnvSpec,
  type FileSpec,
  type Problem,
} from '@wharf/contracts';
import semver from 'semver';
import toml from 'toml';
import { z } from 'zod';
import { checkBundlePath, hasControlChars } from './bundle-path';
import { parseQuantity } from './quantity';

/** The manifest's file name, at the bundle root. */
export const MANIFEST_FILE = 'app.toml';
/** `[Runtime] Module`: a Python dotted module name, started as `python -m <Module>`. */
export const MODULE_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;
/** `[[Env]] Name`. */
export const ENV_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** `[App] InstanceTimeout` at most: 30 days. */
export const MAX_INSTANCE_TIMEOUT_MINUTES = 43_200;
/** Env names with this prefix belong to the platform. */
export const RESERVED_ENV_PREFIX = 'WHARF_';
/** `[[File]]` entries at most. */
export const MAX_FILES = 16;
/** `[[File]] Value` at most, in bytes (UTF-8). */
export const MAX_FILE_VALUE_BYTES = 32 * 1024;
/** `[[File]] Path` at most, in characters. */
export const MAX_FILE_PATH_LENGTH = 1024;
/**
 * Where no `[[File]]` may go: what the platform itself puts in every instance — the kernel's
 * file systems, the private /tmp, the system folders the sandbox shows read-only, the run and
 * venv folders of the sandbox, the pod's work folder, and the /etc files the sandbox and the pod
 * provide (users, name resolution, the loader, TLS roots).
 */
export const RESERVED_FILE_PATHS = [
  '/proc',
  '/sys',
  '/dev',
  '/tmp',
  '/run',
  '/var/run',
  '/usr',
  '/bin',
  '/sbin',
  '/lib',
  '/lib32',
  '/lib64',
  '/libx32',
  '/opt/wharf',
  '/work',
  '/etc/alternatives',
  '/etc/ca-certificates',
  '/etc/ca-certificates.conf',
  '/etc/group',
  '/etc/hostname',
  '/etc/hosts',
  '/etc/ld.so.cache',
  '/etc/ld.so.conf',
  '/etc/ld.so.conf.d',
  '/etc/ld.so.preload',
  '/etc/localtime',
  '/etc/nsswitch.conf',
  '/etc/passwd',
  '/etc/resolv.conf',
  '/etc/shadow',
  '/etc/ssl',
] as const;
/** Kubernetes Secret names (DNS subdomain) and keys. */
const SECRET_NAME_PATTERN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/**
 * `Secret`: a platform (admin-managed) secret's name (at most 253 characters), or a user secret:
 * `~/<name>` (the secret of whoever runs the instance) or `<owner user id>/<name>` (an id of at
 * most 200 characters without spaces or control characters; split at the last "/"), the name at
 * most 63 characters.
 */
function isSecretReference(v: string): boolean {
  const slash = v.lastIndexOf('/');
  if (slash < 0) return v.length <= 253 && SECRET_NAME_PATTERN.test(v);
  const owner = v.slice(0, slash);
  const name = v.slice(slash + 1);
  return owner.length >= 1 && owner.length <= 200 && !/[\s\p{C}]/u.test(owner) && name.length <= 63 && SECRET_NAME_PATTERN.test(name);
}
const SECRET_KEY_PATTERN = /^[-._a-zA-Z0-9]+$/;

/** A validated `app.toml`, in the shape the rest of Wharf stores. */
export const ManifestSchema = z.object({
  name: AppNameSchema,
  version: z.string(),
  title: z.string(),
  description: z.string(),
  longDescriptionPath: z.string().nullable(),
  categories: z.array(CategorySchema),
  keywords: z.array(z.string()),
  runtime: RuntimeSpecSchema,
  env: z.array(EnvSpecSchema),
  files: z.array(FileSpecSchema),
});
export type Manifest = z.infer<typeof ManifestSchema>;

// ---------------------------------------------------------------------------
// Field schemas. Every check carries its own message: the schema-level `error`
// function only explains wrong types and missing values.

/** How a TOML value reads in a message. */
function tomlType(v: unknown): string {
  if (Array.isArray(v)) return 'an array';
  if (v instanceof Date) return 'a date';
  if (typeof v === 'number') return Number.isInteger(v) ? 'an integer' : 'a float';
  if (typeof v === 'bigint') return 'an integer';
  if (typeof v === 'boolean') return 'a boolean';
  if (typeof v === 'string') return 'a string';
  if (typeof v === 'object' && v !== null) return 'a table';
  return typeof v;
}

const typeError =
  (expected: string, hint?: (input: unknown) => string | undefined) =>
  (iss: { input?: unknown }): string => {
    if (iss.input === undefined) return 'is required';
    const extra = hint?.(iss.input);
    return `must be ${expected}, not ${tomlType(iss.input)}${extra ? ` (${extra})` : ''}`;
  };

const text = () =>
  z.string({
    error: typeError('a string', (v) =>
      typeof v === 'number' || typeof v === 'boolean' || v instanceof Date ? 'put the value in quotes' : undefined,
    ),
  });

const list = <T extends z.ZodType>(item: T, example: string) =>
  z.array(item, {
    error: typeError('an array of strings', (v) => (typeof v === 'string' ? `write ${example}` : undefined)),
  });

const table = <S extends z.core.$ZodLooseShape>(shape: S, what: string) =>
  z.strictObject(shape, {
    error: (iss) => (iss.code === 'invalid_type' ? typeError(`a table (${what})`)(iss) : undefined),
  });

/** A missing section validates as an empty one, so each of its required keys is listed. */
const section = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (v === undefined ? {} : v), schema);

const isQuantity = (v: unknown): v is string => typeof v === 'string' && QuantitySchema.safeParse(v).success;

const quantity = (positive: boolean) => {
  const q = text().pipe(QuantitySchema);
  return positive ? q.refine((v) => !isQuantity(v) || parseQuantity(v) > 0, { message: 'must be greater than 0' }) : q;
};

const versionSchema = text()
  .max(128, { message: 'must be at most 128 characters', abort: true })
  .refine((v) => semver.valid(v) === v, {
    message: 'must be a semantic version such as 1.2.0 or 1.2.0-beta.1 (no "v" prefix, no +build suffix)',
  });

const longDescriptionSchema = text().superRefine((v, ctx) => {
  const p = checkBundlePath(v);
  if (!p.ok) ctx.addIssue({ code: 'custom', message: `"${v}" ${p.message}` });
  else if (p.isDir) ctx.addIssue({ code: 'custom', message: `"${v}" must name a markdown file, not a folder` });
  else if (!/\.(md|markdown)$/i.test(p.name)) {
    ctx.addIssue({ code: 'custom', message: `"${v}" must be a markdown file (.md), e.g. README.md` });
  }
});

const volumeMountSchema = text().superRefine((v, ctx) => {
  const segments = v.split('/').filter(Boolean);
  const message = !v.startsWith('/')
    ? 'must be an absolute path such as /data'
    : hasControlChars(v) || v.includes('\\')
      ? 'must not contain control characters or backslashes'
      : segments.length === 0
        ? 'must not be / (mount a folder such as /data)'
        : segments.some((s) => s === '..' || s === '.')
          ? 'must not contain "." or ".." segments'
          : undefined;
  if (message) ctx.addIssue({ code: 'custom', message });
});

/** Where `p` (absolute, normalised) meets a folder or file of `RESERVED_FILE_PATHS`, or undefined. */
function reservedFileProblem(p: string): string | undefined {
  if (p === '/etc') return 'is a folder of the system; name a file inside a folder, e.g. /etc/myapp/config.ini';
  const hit = RESERVED_FILE_PATHS.find((r) => p === r || p.startsWith(`${r}/`));
  if (hit === p) return `${p} is provided by the platform in every instance; choose another path, e.g. /etc/myapp/config.ini`;
  if (hit) return `is inside ${hit}, which the platform provides in every instance; choose another folder, e.g. /etc/myapp/ or /srv/myapp/`;
  // a file cannot be a parent of the platform's folders (/opt is fine; /opt/wharf as a file is not)
  const under = RESERVED_FILE_PATHS.find((r) => r.startsWith(`${p}/`));
  if (under) return `would hide ${under}, which the platform provides in every instance; choose a path for a file, e.g. /etc/myapp/config.ini`;
  return undefined;
}

const filePathSchema = text().superRefine((v, ctx) => {
  const segments = v.split('/');
  const message =
    v === ''
      ? 'must not be empty (an absolute file path such as /etc/myapp/config.ini)'
      : !v.startsWith('/')
        ? `must be an absolute path such as /etc/myapp/config.ini, not "${v.slice(0, 80)}"`
        : hasControlChars(v) || v.includes('\\')
          ? 'must not contain control characters or backslashes'
          : v.length > MAX_FILE_PATH_LENGTH
            ? `must be at most ${MAX_FILE_PATH_LENGTH} characters`
            : v === '/' || v.endsWith('/')
              ? 'must name a file, not a folder (no trailing "/"), e.g. /etc/myapp/config.ini'
              : segments.slice(1).some((s) => s === '')
                ? 'must not contain empty segments ("//")'
                : segments.some((s) => s === '..' || s === '.')
                  ? 'must not contain "." or ".." segments'
                  : segments.some((s) => Buffer.byteLength(s) > 255)
                    ? 'each part of the path must be at most 255 bytes'
                    : reservedFileProblem(v);
  if (message) ctx.addIssue({ code: 'custom', message });
});

const categorySchema = text().pipe(
  z.enum(CATEGORIES, {
    error: (iss) => `unknown category ${JSON.stringify(iss.input)}; allowed: ${CATEGORIES.join(', ')}`,
  }),
);

const appShape = {
  Name: text().pipe(AppNameSchema),
  Version: versionSchema,
  Title: text()
    .min(1, { message: 'must not be empty', abort: true })
    .max(100, { message: 'must be at most 100 characters' })
    .refine((v) => v.trim().length > 0, { message: 'must not be blank' }),
  Description: text().max(1000, { message: 'must be at most 1000 characters' }).optional(),
  LongDescription: longDescriptionSchema.optional(),
  Category: list(categorySchema, 'Category = ["Data Science"]').optional(),
  Keywords: list(
    text().min(1, { message: 'must not be empty' }).max(40, { message: 'must be at most 40 characters' }),
    'Keywords = ["demo"]',
  )
    .max(20, { message: 'must have at most 20 keywords' })
    .optional(),
  /** ON_DEMAND (default), MANAGED or LINK. */
  InstanceLifecycle: text().pipe(
    z.enum(INSTANCE_LIFECYCLES, {
      error: (iss) =>
        `unknown lifecycle ${JSON.stringify(iss.input)}; allowed: ON_DEMAND (each user runs their own instance), MANAGED (one shared instance), LINK (a card that opens another site)`,
    }),
  ).optional(),
  /** Minutes without traffic after which an instance is suspended; -1 never; absent: the platform's default. */
  InstanceTimeout: z
    .number({
      error: typeError('an integer number of minutes', (v) => (typeof v === 'string' ? 'remove the quotes, e.g. InstanceTimeout = 60' : undefined)),
    })
    .int({ message: 'must be a whole number of minutes' })
    .refine((v) => v === -1 || (v >= 1 && v <= MAX_INSTANCE_TIMEOUT_MINUTES), {
      message: `must be between 1 and ${MAX_INSTANCE_TIMEOUT_MINUTES} minutes, or -1 to never suspend an idle instance`,
    })
    .optional(),
};

const runtimeShape = {
  Module: text().regex(MODULE_PATTERN, {
    message: 'must be a Python module name such as hello.app (started as `python -m hello.app`)',
  }),
  RuntimeVersion: text()
    .min(1, { message: 'must not be empty (leave it out for the default runtime)' })
    .max(100, { message: 'must be at most 100 characters' })
    .optional(),
  MemoryLimit: quantity(true).optional(),
  MemoryReservation: quantity(false).optional(),
  VolumeMount: volumeMountSchema.optional(),
  VolumeSize: quantity(true).optional(),
  GPUCount: z
    .number({
      error: typeError('an integer', (v) => (typeof v === 'string' ? 'remove the quotes' : undefined)),
    })
    .int({ message: 'must be a whole number' })
    .min(0, { message: 'must be 0 or more' })
    .optional(),
  /** Which kind of GPU (a name the platform's `Scheduler.GpuTypes` offers, e.g. "a100"); the platform's first when absent. */
  GPUType: text()
    .max(63, { message: 'must be at most 63 characters' })
    .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, { message: 'must be lower-case letters, digits, "-" or "." (e.g. "a100")' })
    .optional(),
  /** DOMAIN (`<id>.<AppsDomain>`) or BASE_URL (`<AppsDomain>/instance/<id>/`); absent: the platform's `Scheduler.RoutingMode`. */
  RoutingMode: text().pipe(
    z.enum(ROUTING_MODES, {
      error: (iss) =>
        `unknown routing mode ${JSON.stringify(iss.input)}; allowed: DOMAIN (served at <id>.<apps domain>, its own origin), BASE_URL (served under /instance/<id>/ on the apps domain: the app must serve under $WHARF_BASE_PATH)`,
    }),
  ).optional(),
};

const envShape = {
  Name: text()
    .regex(ENV_NAME_PATTERN, { message: 'must be letters, digits and underscores, not starting with a digit' })
    .refine((v) => !v.toUpperCase().startsWith(RESERVED_ENV_PREFIX), {
      message: `names starting with ${RESERVED_ENV_PREFIX} are reserved for the platform; rename the variable`,
    }),
  Value: text().optional(),
  Secret: text()
    .refine(isSecretReference, {
      message:
        'must name a platform secret (lower-case letters, digits, "-" and ".", e.g. "db"), or a user secret as "~/<name>" (the secret of whoever runs the instance) ' +
        'or "<owner user id>/<name>" (a name of at most 63 characters)',
    })
    .optional(),
  SecretKey: text()
    .max(253, { message: 'must be at most 253 characters' })
    .regex(SECRET_KEY_PATTERN, { message: 'must be letters, digits, "-", "_" or "."' })
    .optional(),
};

const secretShape = { Secret: envShape.Secret, SecretKey: envShape.SecretKey };

const fileShape = {
  Path: filePathSchema,
  Value: text()
    .refine((v) => Buffer.byteLength(v, 'utf8') <= MAX_FILE_VALUE_BYTES, {
      message: `must be at most ${MAX_FILE_VALUE_BYTES} bytes (UTF-8); ship larger files in the bundle instead`,
    })
    .optional(),
  ...secretShape,
};

/** `[Link] Address`: where a LINK app's card goes. */
const linkAddressSchema = text()
  .max(2048, { message: 'must be at most 2048 characters', abort: true })
  .superRefine((v, ctx) => {
    let url: URL | null = null;
    try {
      url = hasControlChars(v) || /\s/.test(v) ? null : new URL(v);
    } catch {
      url = null;
    }
    const message = !url
      ? 'must be a whole http(s) address such as "https://dashboards.example.com/sales", without spaces'
      : url.protocol !== 'https:' && url.protocol !== 'http:'
        ? `must be an http or https address, not ${url.protocol.replace(/:$/, '')}`
        : url.username || url.password
          ? 'must not hold a user name or password: the address is shown to everyone who sees the app'
          : undefined;
    if (message) ctx.addIssue({ code: 'custom', message });
  });

const linkShape = { Address: linkAddressSchema };

/** The document's shape; a LINK app may leave [Runtime] out (it has no instance). */
const manifestFileSchema = (link: boolean) =>
  z.strictObject(
    {
      App: section(table(appShape, '[App]')),
      Link: table(linkShape, '[Link]').optional(),
      Runtime: link ? table(runtimeShape, '[Runtime]').optional() : section(table(runtimeShape, '[Runtime]')),
      Env: z
        .array(table(envShape, '[[Env]]'), {
          error: typeError('an array of tables', (v) =>
            typeof v === 'object' && v !== null && !Array.isArray(v) ? 'write [[Env]] with two brackets, not [Env]' : undefined,
          ),
        })
        .optional(),
      File: z
        .array(table(fileShape, '[[File]]'), {
          error: typeError('an array of tables', (v) =>
            typeof v === 'object' && v !== null && !Array.isArray(v) ? 'write [[File]] with two brackets, not [File]' : undefined,
          ),
        })
        .max(MAX_FILES, { message: `must have at most ${MAX_FILES} entries; put more files in the bundle, or one file with several settings` })
        .optional(),
    },
    { error: (iss) => (iss.code === 'invalid_type' ? 'the file must be a TOML document' : undefined) },
  );
const ManifestFileSchema = manifestFileSchema(false);
const LinkManifestFileSchema = manifestFileSchema(true);

const SECTIONS = ['App', 'Link', 'Runtime', 'Env', 'File'] as const;
const KNOWN_KEYS: Record<string, readonly string[]> = {
  App: Object.keys(appShape),
  Link: Object.keys(linkShape),
  Runtime: Object.keys(runtimeShape),
  Env: Object.keys(envShape),
  File: Object.keys(fileShape),
};

// ---------------------------------------------------------------------------

/** Dotted path as `zodProblems` writes it: `Env[1].Name`. */
function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((p) => (typeof p === 'number' ? `[${p}]` : String(p)))
    .join('.')
    .replace(/\.\[/g, '[');
}

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0]!;
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = d[j]!;
      d[j] = Math.min(d[j]! + 1, d[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return d[b.length]!;
}

function suggestion(key: string, known: readonly string[]): string {
  const lower = key.toLowerCase();
  const best = known
    .map((k) => ({ k, d: k.toLowerCase() === lower ? 0 : editDistance(lower, k.toLowerCase()) }))
    .sort((a, b) => a.d - b.d)[0];
  return best && best.d <= Math.max(1, Math.min(3, Math.floor(key.length / 3))) ? ` (did you mean ${best.k}?)` : '';
}

function unknownKeyProblems(path: readonly PropertyKey[], keys: readonly string[]): Problem[] {
  if (path.length === 0) {
    return keys.map((k) => ({
      path: k,
      message: `unknown section${suggestion(k, SECTIONS)}; known sections: [App], [Link], [Runtime], [[Env]], [[File]]`,
    }));
  }
  const known = KNOWN_KEYS[String(path[0])] ?? [];
  return keys.map((k) => ({
    path: formatPath([...path, k]),
    message: `unknown key${suggestion(k, known)}; known keys: ${known.join(', ')}`,
  }));
}

const isTable = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);

/** Rules that involve more than one field, checked on the raw document so they are listed with the rest. */
/** A LINK app has no instance: [Link] and nothing that describes an instance; the others no [Link]. */
function lifecycleProblems(doc: Record<string, unknown>): Problem[] {
  const app = isTable(doc.App) ? doc.App : {};
  if (app.InstanceLifecycle !== 'LINK') {
    return doc.Link === undefined
      ? []
      : [{ path: 'Link', message: 'is only for InstanceLifecycle = "LINK" (a catalog card that opens another site): remove [Link], or set InstanceLifecycle = "LINK"' }];
  }
  const problems: Problem[] = [];
  if (doc.Link === undefined) {
    problems.push({ path: 'Link', message: 'is required when InstanceLifecycle = "LINK": add [Link] with Address = "https://…" (where the card goes)' });
  }
  const noInstance = 'a LINK app has no instance';
  if (app.InstanceTimeout !== undefined) problems.push({ path: 'App.InstanceTimeout', message: `${noInstance} to suspend: remove InstanceTimeout` });
  if (doc.Runtime !== undefined) problems.push({ path: 'Runtime', message: `${noInstance}: remove [Runtime] (or choose InstanceLifecycle ON_DEMAND or MANAGED)` });
  if (doc.Env !== undefined) problems.push({ path: 'Env', message: `${noInstance} to give environment variables to: remove [[Env]]` });
  if (doc.File !== undefined) problems.push({ path: 'File', message: `${noInstance} to mount files in: remove [[File]]` });
  return problems;
}

function crossFieldProblems(doc: Record<string, unknown>): Problem[] {
  const problems: Problem[] = lifecycleProblems(doc);
  const rt = isTable(doc.Runtime) ? doc.Runtime : {};
  if (isQuantity(rt.MemoryLimit) && isQuantity(rt.MemoryReservation)) {
    if (parseQuantity(rt.MemoryReservation) > parseQuantity(rt.MemoryLimit)) {
      problems.push({
        path: 'Runtime.MemoryReservation',
        message: `${rt.MemoryReservation} is more than MemoryLimit ${rt.MemoryLimit}; the reservation must not exceed the limit`,
      });
    }
  }
  if (rt.GPUType !== undefined && !(typeof rt.GPUCount === 'number' && rt.GPUCount > 0)) {
    problems.push({ path: 'Runtime.GPUType', message: 'is set, but GPUCount is not 1 or more: ask for GPUs with GPUCount, or remove GPUType' });
  }
  if (rt.VolumeMount !== undefined && rt.VolumeSize === undefined) {
    problems.push({ path: 'Runtime.VolumeSize', message: 'is required when VolumeMount is set (e.g. VolumeSize = "1Gi")' });
  }
  if (rt.VolumeSize !== undefined && rt.VolumeMount === undefined) {
    problems.push({ path: 'Runtime.VolumeMount', message: 'is required when VolumeSize is set (e.g. VolumeMount = "/data")' });
  }
  if (Array.isArray(doc.Env)) {
    const seen = new Map<string, number>();
    doc.Env.forEach((e: unknown, i) => {
      if (!isTable(e)) return;
      const at = `Env[${i}]`;
      if (typeof e.Name === 'string') {
        const first = seen.get(e.Name);
        if (first !== undefined) {
          problems.push({ path: `${at}.Name`, message: `duplicate: ${e.Name} is already set by Env[${first}]` });
        } else seen.set(e.Name, i);
      }
      problems.push(...valueOrSecretProblems(e, at));
    });
  }
  if (Array.isArray(doc.File)) problems.push(...fileProblems(doc.File, rt.VolumeMount));
  return problems;
}

/** `[[Env]]` and `[[File]]`: exactly one of Value, or Secret with SecretKey. */
function valueOrSecretProblems(e: Record<string, unknown>, at: string): Problem[] {
  const hasValue = e.Value !== undefined;
  const hasSecret = e.Secret !== undefined;
  const hasKey = e.SecretKey !== undefined;
  if (hasValue && (hasSecret || hasKey)) return [{ path: at, message: 'set either Value, or Secret and SecretKey, not both' }];
  if (!hasValue && !hasSecret && !hasKey) return [{ path: at, message: 'needs a Value, or a Secret and a SecretKey' }];
  if (hasSecret && !hasKey) return [{ path: `${at}.SecretKey`, message: 'is required when Secret is set (the key inside the secret)' }];
  if (hasKey && !hasSecret) {
    return [{ path: `${at}.Secret`, message: 'is required when SecretKey is set (the name of the secret: a platform secret, ~/<name> or <owner id>/<name>)' }];
  }
  return [];
}

const isInside = (p: string, dir: string) => p.startsWith(`${dir.replace(/\/+$/, '')}/`);

/** `[[File]]` rules across entries: unique paths, no file inside another, none in the volume. */
function fileProblems(files: unknown[], volumeMount: unknown): Problem[] {
  const problems: Problem[] = [];
  const seen: { path: string; at: number }[] = [];
  const volume = typeof volumeMount === 'string' && volumeMount.startsWith('/') ? volumeMount.replace(/\/+$/, '') : null;
  files.forEach((f: unknown, i) => {
    if (!isTable(f)) return;
    const at = `File[${i}]`;
    if (typeof f.Path === 'string' && f.Path.startsWith('/')) {
      const p = f.Path;
      const same = seen.find((s) => s.path === p);
      const parent = seen.find((s) => isInside(p, s.path));
      const child = seen.find((s) => isInside(s.path, p));
      if (same) problems.push({ path: `${at}.Path`, message: `duplicate: ${p} is already mounted by File[${same.at}]` });
      else if (parent) problems.push({ path: `${at}.Path`, message: `is inside ${parent.path}, the file of File[${parent.at}]; a file cannot also be a folder` });
      else if (child) problems.push({ path: `${at}.Path`, message: `would be the folder of ${child.path} (File[${child.at}]); a file cannot also be a folder` });
      else if (volume && (p === volume || isInside(p, volume))) {
        problems.push({ path: `${at}.Path`, message: `is inside VolumeMount ${volume}, which the app writes; choose a path outside ${volume} (files are read-only)` });
      } else if (volume && isInside(volume, p)) {
        problems.push({ path: `${at}.Path`, message: `would be the folder of VolumeMount ${volume}; a file cannot also be a folder` });
      }
      if (!same) seen.push({ path: p, at: i });
    }
    problems.push(...valueOrSecretProblems(f, at));
  });
  return problems;
}

/** Orders problems by section (App, Runtime, Env, File, the rest), then entry index, keeping the order within each. */
function sortProblems(problems: Problem[]): Problem[] {
  const rank = (p: Problem): [number, number] => {
    const m = /^(App|Runtime|Env|File)(?:\[(\d+)\])?(?![A-Za-z0-9_])/.exec(p.path);
    if (!m) return [p.path === '' ? -1 : SECTIONS.length, 0];
    return [SECTIONS.indexOf(m[1] as (typeof SECTIONS)[number]), m[2] === undefined ? -1 : Number(m[2])];
  };
  return problems
    .map((p, i) => ({ p, i, r: rank(p) }))
    .sort((a, b) => a.r[0] - b.r[0] || a.r[1] - b.r[1] || a.i - b.i)
    .map((x) => x.p);
}

function parseToml(text: string): unknown {
  try {
    return toml.parse(text.replace(/^\uFEFF/, '')) as unknown;
  } catch (e) {
    const err = e as { message?: string; line?: number; column?: number; location?: { start?: { line?: number; column?: number } } };
    const line = err.line ?? err.location?.start?.line;
    const column = err.column ?? err.location?.start?.column;
    const where = line === undefined ? '' : ` at line ${line}:${column ?? 1}`;
    throw invalidInput('app.toml is invalid', [{ path: '', message: `not valid TOML${where}: ${err.message ?? String(e)}` }]);
  }
}

function normalisedPath(p: string): string {
  const checked = checkBundlePath(p);
  return checked.ok ? checked.name : p;
}

/**
 * Parses and validates `app.toml`. Throws `invalidInput('app.toml is invalid', problems)`
 * listing every problem with its field path (`App.Version`, `Env[1].Name`, …);
 * a TOML syntax error is one problem with its line:column.
 */
export function parseManifest(text: string): Manifest {
  const doc = parseToml(text);
  const link = isTable(doc) && isTable(doc.App) && doc.App.InstanceLifecycle === 'LINK';
  const result = (link ? LinkManifestFileSchema : ManifestFileSchema).safeParse(doc);
  const problems: Problem[] = [];
  if (!result.success) {
    for (const issue of result.error.issues) {
      if (issue.code === 'unrecognized_keys') problems.push(...unknownKeyProblems(issue.path, issue.keys));
      else problems.push({ path: formatPath(issue.path), message: issue.message });
    }
  }
  if (isTable(doc)) problems.push(...crossFieldProblems(doc));
  if (!result.success || problems.length > 0) throw invalidInput('app.toml is invalid', sortProblems(problems));

  const { App: app, Link: linkTo, Env: env = [], File: files = [] } = result.data;
  const rt = result.data.Runtime ?? { Module: '' }; // a LINK app has none
  return {
    name: app.Name,
    version: app.Version,
    title: app.Title,
    description: app.Description ?? '',
    longDescriptionPath: app.LongDescription === undefined ? null : normalisedPath(app.LongDescription),
    categories: app.Category ?? [],
    keywords: app.Keywords ?? [],
    runtime: {
      module: rt.Module,
      runtimeVersion: rt.RuntimeVersion ?? null,
      memoryLimit: rt.MemoryLimit ?? null,
      memoryReservation: rt.MemoryReservation ?? null,
      volumeMount: rt.VolumeMount ?? null,
      volumeSize: rt.VolumeSize ?? null,
      gpuCount: rt.GPUCount ?? 0,
      gpuType: rt.GPUType ?? null,
      instanceTimeoutMinutes: app.InstanceTimeout ?? null,
      lifecycle: app.InstanceLifecycle ?? 'ON_DEMAND',
      linkAddress: linkTo?.Address ?? null,
      routingMode: rt.RoutingMode ?? null,
    },
    env: env.map(
      (e): EnvSpec =>
        e.Value !== undefined
          ? { name: e.Name, value: e.Value }
          : { name: e.Name, secret: e.Secret!, secretKey: e.SecretKey! },
    ),
    files: files.map(
      (f): FileSpec =>
        f.Value !== undefined ? { path: f.Path, value: f.Value } : { path: f.Path, secret: f.Secret!, secretKey: f.SecretKey! },
    ),
  };
}
