import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { CliError, UsageError } from '../errors';

/** Where a bundle keeps the wheels its requirements install from (the launcher runs `pip install --no-index --find-links wheels`). */
export const WHEELS_DIR = 'wheels';
export const REQUIREMENTS_FILE = 'requirements.txt';

/** One requirement line: the distribution's normalised name and, for `==`, the exact version. */
export interface Requirement {
  line: number;
  text: string;
  name: string;
  version: string | null;
}

/** PEP 503: names compare lower-case with runs of `-`, `_` and `.` as one `-`. */
export const normaliseName = (name: string) => name.toLowerCase().replace(/[-_.]+/g, '-');

/**
 * The requirements of a requirements.txt, as the launcher counts them (comments and blank lines
 * do not count). Options (`-r`, `--hash`, …) and URLs cannot be resolved from a folder of
 * wheels: each is an error naming its line.
 */
export function parseRequirements(text: string, where = REQUIREMENTS_FILE): Requirement[] {
  const out: Requirement[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const l = raw.replace(/(^|\s)#.*$/, '').trim();
    if (!l) return;
    const m = /^([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(\[[^\]]*\])?\s*(.*)$/.exec(l);
    if (!m || l.startsWith('-')) throw new CliError(`${where}:${i + 1}: "${l}" is not a plain requirement (name, optionally ==version); --wheels copies wheels by name, so list each distribution on its own line`);
    const spec = m[3]!.split(';')[0]!.trim();
    const exact = /^===?\s*([^\s,*]+)$/.exec(spec);
    out.push({ line: i + 1, text: l, name: normaliseName(m[1]!), version: exact ? exact[1]! : null });
  });
  return out;
}

/** A wheel's file name: `{dist}-{version}(-{build})?-{python}-{abi}-{platform}.whl`. */
export function wheelInfo(file: string): { name: string; version: string } | null {
  if (!file.endsWith('.whl')) return null;
  const parts = file.slice(0, -4).split('-');
  if (parts.length !== 5 && parts.length !== 6) return null;
  return { name: normaliseName(parts[0]!), version: parts[1]! };
}

/**
 * The wheel files of `folder` that the requirements name: every wheel of each named distribution
 * (of the pinned version when `==` pins one; all platforms' builds of it). A requirement without a
 * wheel is an error that names it and the folder. Sorted by file name.
 */
export function selectWheels(requirements: Requirement[], folder: string): string[] {
  let files: string[];
  try {
    if (!statSync(folder).isDirectory()) throw new Error('not a folder');
    files = readdirSync(folder);
  } catch (e) {
    throw new UsageError(`--wheels ${folder}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such folder' : (e as Error).message}; give the folder that \`pip download -r requirements.txt -d <folder> --only-binary=:all:\` filled`);
  }
  const wheels = files.map((f) => ({ f, info: wheelInfo(f) })).filter((w) => w.info);
  const picked = new Set<string>();
  const missing: string[] = [];
  for (const r of requirements) {
    const match = wheels.filter((w) => w.info!.name === r.name && (r.version === null || normaliseVersion(w.info!.version) === normaliseVersion(r.version)));
    if (!match.length) missing.push(`${r.text} (${REQUIREMENTS_FILE}:${r.line})`);
    for (const w of match) picked.add(w.f);
  }
  if (missing.length) {
    throw new CliError(`no wheel in ${folder} for ${missing.join(', ')}: download it with \`pip download '<requirement>' -d ${folder} --only-binary=:all: --python-version 3.11 --platform manylinux2014_x86_64\`, or fix the requirement`);
  }
  return [...picked].sort();
}

/** Wheel versions compare as pip writes them in file names (`1.0` and `1.0.0` stay different; case and `_` do not matter). */
const normaliseVersion = (v: string) => v.toLowerCase().replace(/_/g, '-');

export const joinWheel = (file: string) => path.posix.join(WHEELS_DIR, file);
