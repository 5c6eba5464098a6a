import { lchown, readdir } from 'node:fs/promises';
import path from 'node:path';

/**
 * `chown -R uid:gid` without following symlinks (lchown): for folders handed to an instance's own
 * uid or taken back from it. A symlink an app left in its folder is re-owned itself; what it
 * points to (anything on the host) is never touched.
 */
export async function chownTree(dir: string, uid: number, gid: number): Promise<void> {
  await lchown(dir, uid, gid);
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) await chownTree(full, uid, gid);
    else await lchown(full, uid, gid);
  }
}
