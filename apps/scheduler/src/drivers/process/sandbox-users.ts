import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { INSTANCE_ID_PATTERN } from '@wharf/contracts';

/**
 * How the process driver confines instances (`Scheduler.ProcessSandbox`):
 * - `bwrap`: every app (and the install of its requirements) runs under bubblewrap with its own
 *   mount, PID and network namespaces, seeing only the runtime and its own folders; as root also
 *   as its own uid from `ProcessUidRange` (see apps/launcher/src/sandbox.ts).
 * - `none`: apps run as plain processes with Wharf's own rights. Only for a machine where every
 *   app is the same person's: the driver then refuses to run apps of a second user.
 */
export type SandboxMode = 'bwrap' | 'none';

export interface SandboxTools {
  mode: SandboxMode;
  /** Absolute path of bubblewrap (mode bwrap). */
  bwrap: string | null;
  /** Absolute path of setpriv (mode bwrap, as root). */
  setpriv: string | null;
  /** Whether instances get uids of their own (mode bwrap, Wharf runs as root). */
  ownUids: boolean;
}

const which = (bin: string): string | null => {
  if (bin.startsWith('/')) return existsSync(bin) ? bin : null;
  const r = spawnSync('sh', ['-c', `command -v ${bin}`], { encoding: 'utf8' });
  const found = r.stdout.trim();
  return r.status === 0 && found.startsWith('/') ? found : null;
};

/**
 * Finds and tries the sandbox's tools at boot, so that a host that cannot sandbox stops the
 * scheduler with the reason and the fix instead of failing every launch.
 */
export function findSandboxTools(mode: SandboxMode, configuredBwrap: string): SandboxTools {
  if (mode === 'none') return { mode, bwrap: null, setpriv: null, ownUids: false };
  const fix =
    'install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap), or set Scheduler.ProcessSandbox = "none" ' +
    'to run apps without a sandbox on a machine where every app is your own (apps of a second user are then refused)';
  const bwrap = which(configuredBwrap || 'bwrap');
  if (!bwrap) throw new Error(`Scheduler.ProcessSandbox = "bwrap" needs bubblewrap, and ${configuredBwrap || 'bwrap'} is not on PATH: ${fix}`);
  const root = process.getuid?.() === 0;
  const setpriv = root ? which('setpriv') : null;
  if (root && !setpriv) throw new Error('Scheduler.ProcessSandbox = "bwrap" as root needs setpriv (util-linux) to run apps as their own uid; install util-linux');
  // The same namespaces the launcher asks for, once: user namespaces may be disabled (non-root), or a container may forbid mounts.
  const args = ['--unshare-pid', '--unshare-net', '--unshare-ipc', '--die-with-parent', ...(root ? [] : ['--unshare-user']), '--ro-bind', '/', '/', '--proc', '/proc', '--', 'true'];
  const r = spawnSync(bwrap, args, { encoding: 'utf8', timeout: 10_000 });
  if (r.status !== 0) {
    throw new Error(
      `Scheduler.ProcessSandbox = "bwrap": bubblewrap cannot create a sandbox on this host (${(r.stderr || r.error?.message || `exit ${r.status}`).trim()}); ` +
        `allow unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1) or run Wharf as root; or ${fix}`,
    );
  }
  return { mode, bwrap, setpriv, ownUids: root };
}

/**
 * Each instance's own uid (and gid of the same number), from `[first, last]`, claimed with a file
 * `<dir>/<uid>` holding the instance id, created exclusively: simultaneous claims on every replica
 * sharing the data dir get different uids. A uid needs no /etc/passwd entry.
 */
export class UidAllocator {
  constructor(
    private readonly dir: string,
    private readonly first: number,
    private readonly last: number,
  ) {}

  init(): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
  }

  /** `known` when `id` still holds it, else a new claim, starting at a point derived from the id so that claims rarely collide. */
  claim(id: string, known: number | null): number {
    if (known !== null && this.owner(known) === id) return known;
    const size = this.last - this.first + 1;
    let h = 0;
    for (const c of id) h = (h * 31 + c.charCodeAt(0)) >>> 0;
    // Its former uid first, when it is free again: its files belong to it already.
    const start = known !== null && known >= this.first && known <= this.last ? known - this.first : h;
    for (let i = 0; i < size; i++) {
      const uid = this.first + ((start + i) % size);
      const file = path.join(this.dir, String(uid));
      try {
        const fd = openSync(file, 'wx', 0o600);
        writeSync(fd, id);
        closeSync(fd);
        return uid;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        if (this.owner(uid) === id) return uid;
      }
    }
    throw new Error(`every uid of Scheduler.ProcessUidRange (${this.first}-${this.last}) is taken; widen the range`);
  }

  /** Frees `uid` if `id` holds it. */
  release(uid: number, id: string): void {
    if (this.owner(uid) === id) rmSync(path.join(this.dir, String(uid)), { force: true });
  }

  /** Frees the uids of instances that no longer exist (`alive(id)` false). */
  sweep(alive: (id: string) => boolean): void {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return;
    }
    for (const n of names) {
      const id = this.owner(Number(n));
      if (id !== null && INSTANCE_ID_PATTERN.test(id) && !alive(id)) rmSync(path.join(this.dir, n), { force: true });
    }
  }

  private owner(uid: number): string | null {
    try {
      return readFileSync(path.join(this.dir, String(uid)), 'utf8').trim();
    } catch {
      return null;
    }
  }
}
