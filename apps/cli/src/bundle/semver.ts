/** Semantic versions as app.toml writes them (`1.2.0`, `1.2.0-beta.1`): compare, and the next free one. */
const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$/;

interface Parsed {
  nums: [number, number, number];
  pre: string[];
}

export function parseVersion(v: string): Parsed | null {
  const m = SEMVER.exec(v);
  if (!m) return null;
  return { nums: [Number(m[1]), Number(m[2]), Number(m[3])], pre: m[4] ? m[4].split('.') : [] };
}

/** Negative when a < b, 0 when equal, positive when a > b (semver precedence). Unparsable versions sort first. */
export function compareVersions(a: string, b: string): number {
  const x = parseVersion(a);
  const y = parseVersion(b);
  if (!x || !y) return (x ? 1 : 0) - (y ? 1 : 0);
  for (let i = 0; i < 3; i++) if (x.nums[i] !== y.nums[i]) return x.nums[i]! - y.nums[i]!;
  if (!x.pre.length || !y.pre.length) return (x.pre.length ? -1 : 0) + (y.pre.length ? 1 : 0);
  for (let i = 0; i < Math.max(x.pre.length, y.pre.length); i++) {
    const p = x.pre[i];
    const q = y.pre[i];
    if (p === undefined) return -1;
    if (q === undefined) return 1;
    const pn = /^\d+$/.test(p);
    const qn = /^\d+$/.test(q);
    if (pn && qn && Number(p) !== Number(q)) return Number(p) - Number(q);
    if (pn !== qn) return pn ? -1 : 1;
    if (p !== q) return p < q ? -1 : 1;
  }
  return 0;
}

/**
 * The version to publish next: `wanted` (app.toml's) when it is above every existing one, else the
 * patch after the highest (`1.2.3` → `1.2.4`; a pre-release `1.3.0-beta.1` → `1.3.0`).
 */
export function nextVersion(wanted: string, existing: string[]): string {
  const highest = existing.filter((v) => parseVersion(v)).sort(compareVersions).at(-1);
  if (!highest || compareVersions(wanted, highest) > 0) return wanted;
  const h = parseVersion(highest)!;
  if (h.pre.length) return h.nums.join('.');
  return `${h.nums[0]}.${h.nums[1]}.${h.nums[2] + 1}`;
}

/**
 * app.toml's text with `[App] Version` set to `version`: only that line changes (comments and
 * layout are kept). Null when the file has no such line to change.
 */
export function withVersion(toml: string, version: string): string | null {
  const lines = toml.split('\n');
  let section = '';
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const header = /^\s*\[\[?\s*([A-Za-z0-9_.-]+)\s*\]\]?/.exec(line);
    if (header) {
      section = header[1]!;
      continue;
    }
    if (section !== 'App') continue;
    const m = /^(\s*Version\s*=\s*)(?:"[^"\n]*"|'[^'\n]*')(.*)$/.exec(line);
    if (m) {
      lines[i] = `${m[1]}"${version}"${m[2]}`;
      return lines.join('\n');
    }
  }
  return null;
}
