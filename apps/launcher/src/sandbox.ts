import { existsSync, lstatSync, readlinkSync, realpathSync } from 'node:fs';
import path from 'node:path';

/**
 * How the launcher confines what it runs of the app's (the app itself, and `pip install` of its
 * requirements) on the process driver: bubblewrap (Debian's `bubblewrap`) gives each run its own
 * mount, PID, network, IPC and UTS namespaces.
 *
 * - **Files:** a fresh root with only the system folders read-only (`/usr`, the runtime's own
 *   prefix, a short list of `/etc` files), a private `/tmp`, and the instance's own folders. The
 *   data dir, the caches, other instances, the services' files and the host's `/run` (database
 *   sockets) are not there at all. Everything is mounted at the path it has outside, so paths in
 *   logs and venvs mean the same on both sides.
 * - **Processes:** a fresh `/proc` shows only the sandbox's own; nothing outside can be signalled.
 * - **Network:** an empty network namespace with only its own loopback: NATS, PostgreSQL, the
 *   services' ports, other instances and the internet are unreachable. The app still listens on
 *   `$PORT` inside; a relay next to it (app-relay.ts) offers that port outside as a Unix socket in
 *   the instance's run folder, which only the launcher connects to.
 * - **User:** run as root, the launcher drops to the instance's own uid inside (setpriv, with no
 *   capabilities and no_new_privs) after bubblewrap has set up the mounts; run as any other user,
 *   bubblewrap uses an unprivileged user namespace and the app keeps Wharf's uid outside, which
 *   nothing of Wharf's is exposed to anyway.
 */
export interface SandboxOptions {
  /** The bubblewrap binary (absolute path). */
  bwrap: string;
  /** When Wharf runs as root: the instance's own uid/gid, and setpriv to drop to them. */
  user: { uid: number; gid: number; setpriv: string } | null;
}

export interface SandboxMounts {
  /** Folders mounted read-only at their own path (the runtime's prefix, a venv, …). */
  readOnly: string[];
  /** Folders mounted writable at their own path (the instance's work and volume folders). */
  writable: string[];
  /** Folder mounted writable at `/run/wharf` (the relay's socket). */
  runDir?: string;
  /** The app's venv, mounted read-only at `/opt/wharf/venv` (the host's cache path stays the host's business). */
  venv?: string;
  /** Working folder inside. */
  cwd: string;
  /**
   * The app's `[[File]]` entries: each host file `source` bound read-only at `path` (its parents
   * created 0755). Check them with `fileMountProblem` first.
   */
  files?: { path: string; source: string }[];
}

/** Where the run folder appears inside the sandbox. */
export const SANDBOX_RUN_DIR = '/run/wharf';
/** Where the app's venv appears inside the sandbox (`python -m` finds pyvenv.cfg next to bin/, wherever the venv is). */
export const SANDBOX_VENV = '/opt/wharf/venv';

/** `/etc` entries programs commonly need (name lookups, TLS roots, time zone, the loader's cache); nothing else of `/etc` is shown. */
const ETC = [
  'alternatives',
  'ca-certificates',
  'ca-certificates.conf',
  'fonts',
  'gai.conf',
  'group',
  'host.conf',
  'hosts',
  'ld.so.cache',
  'ld.so.conf',
  'ld.so.conf.d',
  'localtime',
  'mime.types',
  'nsswitch.conf',
  'os-release',
  'passwd',
  'protocols',
  'resolv.conf',
  'services',
  'ssl',
  'timezone',
];

/** Top-level system entries: bound read-only, or re-created as the symlinks they are on a merged-/usr system. */
const SYSTEM = ['/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'];

/**
 * The installation prefix of an interpreter (`<prefix>/bin/python3`): what the sandbox must show
 * read-only for it to run. Null when it is under /usr (always shown).
 */
export function interpreterPrefix(python: string): string | null {
  let real: string;
  try {
    real = realpathSync(python);
  } catch {
    return null; // not a path (a name on PATH): the system's own
  }
  const prefix = path.dirname(path.dirname(real));
  return isUnder(prefix, '/usr') || prefix === '/' ? null : prefix;
}

const isUnder = (p: string, dir: string) => p === dir || p.startsWith(`${dir}/`);

/** `--dir` for every ancestor of `p` (bubblewrap would create them 0700, unreadable to the app's uid). */
function parents(p: string, made: Set<string>): string[] {
  const out: string[] = [];
  const parts = path.resolve(p).split('/').filter(Boolean);
  for (let i = 1; i < parts.length; i++) {
    const dir = `/${parts.slice(0, i).join('/')}`;
    if (made.has(dir)) continue;
    made.add(dir);
    out.push('--perms', '0755', '--dir', dir);
  }
  return out;
}

/** The bubblewrap (and, as root, setpriv) command line that runs `command` confined. */
export function sandboxCommand(o: SandboxOptions, m: SandboxMounts, command: string[]): [string, string[]] {
  const args: string[] = [
    '--unshare-pid',
    '--unshare-net',
    '--unshare-ipc',
    '--unshare-uts',
    '--unshare-cgroup-try',
    '--hostname',
    'wharf-instance',
    '--die-with-parent',
    '--new-session',
  ];
  if (!o.user) args.push('--unshare-user', '--disable-userns');
  args.push('--dev', '/dev', '--proc', '/proc', '--perms', '1777', '--tmpfs', '/tmp', '--perms', '0755', '--dir', '/run');
  const made = new Set<string>(['/tmp', '/run', '/dev', '/proc']);
  for (const s of SYSTEM) {
    let st;
    try {
      st = lstatSync(s);
    } catch {
      continue;
    }
    if (st.isSymbolicLink()) args.push('--symlink', readlinkSync(s), s);
    else if (st.isDirectory()) args.push('--ro-bind', s, s);
    made.add(s);
  }
  args.push('--perms', '0755', '--dir', '/etc');
  made.add('/etc');
  for (const e of ETC) {
    const p = `/etc/${e}`;
    if (existsSync(p)) args.push('--ro-bind', p, p);
  }
  const mount = (flag: string, dir: string) => {
    const abs = path.resolve(dir);
    if (SYSTEM.some((s) => isUnder(abs, s))) return;
    args.push(...parents(abs, made), flag, abs, abs);
    made.add(abs);
  };
  for (const d of m.readOnly) mount('--ro-bind', d);
  for (const d of m.writable) mount('--bind', d);
  if (m.runDir) args.push('--bind', path.resolve(m.runDir), SANDBOX_RUN_DIR);
  if (m.venv) args.push(...parents(SANDBOX_VENV, made), '--ro-bind', path.resolve(m.venv), SANDBOX_VENV);
  // Last: a file's folders may be new ones, never one of those above (fileMountProblem).
  for (const f of m.files ?? []) args.push(...parents(f.path, made), '--ro-bind', path.resolve(f.source), f.path);
  args.push('--chdir', m.cwd, '--');
  if (o.user) {
    args.push(
      o.user.setpriv,
      `--reuid=${o.user.uid}`,
      `--regid=${o.user.gid}`,
      '--clear-groups',
      '--inh-caps=-all',
      '--bounding-set=-all',
      '--no-new-privs',
      '--',
    );
  }
  args.push(...command);
  return [o.bwrap, args];
}

/**
 * Why a `[[File]]` cannot be bound at `file` in a sandbox with these folders, or null: it must not
 * be, be inside, or contain what the sandbox itself shows there — the kernel's and the private
 * folders, the system folders and /etc files, the runtime, the venv, the run folder and the
 * instance's own folders (a file there would land in a folder the app writes, or hide one). The
 * manifest refuses the fixed ones already; this also covers those only a host knows.
 */
export function fileMountProblem(file: string, m: Pick<SandboxMounts, 'readOnly' | 'writable'>): string | null {
  const overlaps = (dir: string) => isUnder(file, dir) || isUnder(dir, file);
  const own = [...m.readOnly, ...m.writable, SANDBOX_VENV].map((d) => path.resolve(d)).find(overlaps);
  if (own) return `${file} is where the sandbox has one of the instance's folders (its work folder, volume, runtime or packages); choose another path`;
  const system = ['/proc', '/dev', '/tmp', '/run', ...SYSTEM, ...ETC.map((e) => `/etc/${e}`)].find(overlaps);
  if (system || file === '/etc') return `${file} is where the sandbox has ${system ?? '/etc'} of the system; choose another path`;
  return null;
}

/** The environment of the sandbox's own tools (bubblewrap, setpriv, the relay): never the app's. */
export const TOOL_ENV: Record<string, string> = { PATH: '/usr/local/bin:/usr/bin:/bin', LANG: 'C.UTF-8' };

