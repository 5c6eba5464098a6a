import semver from 'semver';

/**
 * A text key that sorts app versions newest first with `ORDER BY key DESC` (C collation):
 * zero-padded major.minor.patch, then `~` for a release or `!<prerelease>` for a pre-release
 * (`~` > `!`, so 1.0.0 sorts above 1.0.0-rc.1). Pre-release identifiers compare as text,
 * so `rc.10` sorts below `rc.9` — acceptable for a catalog order, noted here on purpose.
 */
export function versionKey(version: string): string {
  const v = semver.parse(version);
  if (!v) throw new Error(`not a semver version: ${version}`);
  const pad = (n: number) => String(n).padStart(10, '0');
  const pre = v.prerelease.length ? `!${v.prerelease.join('.')}` : '~';
  return `${pad(v.major)}.${pad(v.minor)}.${pad(v.patch)}${pre}`;
}
