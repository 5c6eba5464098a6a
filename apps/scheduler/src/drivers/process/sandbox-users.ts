import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

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
