import semver from 'semver';

// Semantic versions as app.toml writes them (`1.2.0`, `1.2.0-beta.1`; the platform accepts exactly
// what `semver.valid` gives back): compared and bumped with the same `semver` package.

/** Negative when a < b, 0 when equal, positive when a > b (semver precedence). Unparsable versions sort first. */
export function compareVersions(a: string, b: string): number {
  const [x, y] = [semver.valid(a), semver.valid(b)];
  if (!x || !y) return (x ? 1 : 0) - (y ? 1 : 0);
  return semver.compare(x, y);
}

/**
 * The version to publish next: `wanted` (app.toml's) when it is above every existing one, else the
 * patch after the highest (`1.2.3` → `1.2.4`; a pre-release `1.3.0-beta.1` → `1.3.0`).
 */
export function nextVersion(wanted: string, existing: string[]): string {
  const highest = existing.filter((v) => semver.valid(v)).sort(compareVersions).at(-1);
  if (!highest || compareVersions(wanted, highest) > 0) return wanted;
  return semver.inc(highest, 'patch')!;
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
