/** Paths inside a bundle: what an entry name or `LongDescription` may be. */

export type BundlePath = { ok: true; name: string; isDir: boolean } | { ok: false; message: string };

const MAX_PATH_LENGTH = 1024;
const MAX_SEGMENT_LENGTH = 255;

/** True when `s` holds a NUL or another C0 control character, or DEL. */
export function hasControlChars(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

/** Shows a name with control characters escaped, for messages and problem paths. */
export function showName(name: string): string {
  return hasControlChars(name) ? JSON.stringify(name).slice(1, -1) : name;
}

/**
 * Checks and normalises a relative, forward-slash path as found in a zip entry
 * (or in `app.toml`): refuses empty names, NUL and control characters,
 * absolute paths (`/x`, `C:\x`, `C:x`, `\\server\share`), backslashes and any
 * `..` segment; drops `.` and empty segments (`./a//b` → `a/b`).
 * A trailing slash (or `/.`) marks a directory; the root itself (`./`) normalises to ''.
 */
export function checkBundlePath(raw: string): BundlePath {
  if (raw.length === 0) return { ok: false, message: 'has an empty name' };
  if (hasControlChars(raw)) {
    return { ok: false, message: 'has a NUL or control character in its name; rename the file' };
  }
  if (raw.startsWith('\\\\') || raw.startsWith('//')) {
    return { ok: false, message: 'is an absolute network (UNC) path; paths in a bundle must be relative to its root' };
  }
  if (raw.startsWith('/') || /^[A-Za-z]:/.test(raw)) {
    return { ok: false, message: 'is an absolute path; paths in a bundle must be relative to its root' };
  }
  if (raw.includes('\\')) {
    return {
      ok: false,
      message:
        'has a backslash in its name; zip paths use forward slashes (some Windows tools write backslashes: re-create the zip with `zip -r`, 7-Zip or `Compress-Archive` on PowerShell 7+)',
    };
  }
  if (raw.length > MAX_PATH_LENGTH) {
    return { ok: false, message: `has a name longer than ${MAX_PATH_LENGTH} characters` };
  }
  const segments = raw.split('/');
  if (segments.includes('..')) {
    return {
      ok: false,
      message: 'contains a ".." segment that points outside the bundle (zip-slip); paths must stay inside the app folder',
    };
  }
  const kept = segments.filter((s) => s !== '' && s !== '.');
  if (kept.some((s) => s.length > MAX_SEGMENT_LENGTH)) {
    return { ok: false, message: `has a path segment longer than ${MAX_SEGMENT_LENGTH} characters` };
  }
  const last = segments[segments.length - 1];
  const isDir = last === '' || last === '.' || kept.length === 0;
  return { ok: true, name: kept.join('/'), isDir };
}
