import { spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { prlimitArgs, type RunningApp } from './app-process';
import { SANDBOX_RUN_DIR, sandboxCommand, TOOL_ENV, type SandboxMounts, type SandboxOptions } from './sandbox';

/** The relay's socket, inside the sandbox's run folder. */
export const RELAY_SOCKET = 'app.sock';

/**
 * Runs inside the sandbox next to the app (`python -I -S -c RELAY`, the runtime's own interpreter,
 * standard library only). It reads one JSON line on stdin (the app's command, folder, environment
 * and port), starts the app, and once the app accepts connections on its port (inside the
 * sandbox's own network namespace) it listens on a Unix socket in the run folder and relays every
 * connection to that port, byte for byte. On fd 3 it says `{"up":true}` then, when the app is gone,
 * `{"exit":<code>,"signal":<name>}`. A second line `stop` (or end-of-file: the launcher died) stops
 * the app: SIGTERM, then SIGKILL after the grace period. The app never sees fd 3 or the relay's stdin.
 */
const RELAY = `import json, os, signal, socket, subprocess, sys, threading, time
# two threads per connection, each needing little stack: under the memory limit (an address-space
# limit) the default 8 MiB reservation per thread would allow only a few dozen connections
threading.stack_size(256 * 1024)
cfg = json.loads(sys.stdin.readline())
status = os.fdopen(3, "w", buffering=1)
lock = threading.Lock()
def say(**kw):
    with lock:
        try:
            status.write(json.dumps(kw) + "\\n")
        except OSError:
            pass
port = cfg["port"]
try:
    app = subprocess.Popen(cfg["argv"], cwd=cfg["cwd"], env=cfg["env"], stdin=subprocess.DEVNULL, close_fds=True)
except OSError as e:
    sys.stderr.write("cannot start %s: %s\\n" % (cfg["argv"][0], e.strerror))
    say(exit=127, signal=None)
    os._exit(0)
def control():
    sys.stdin.readline()
    if app.poll() is None:
        try:
            app.terminate()
            app.wait(cfg["grace"])
        except subprocess.TimeoutExpired:
            app.kill()
        except OSError:
            pass
def pump(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
        dst.shutdown(socket.SHUT_WR)
    except OSError:
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
def handle(client):
    try:
        upstream = socket.create_connection(("127.0.0.1", port))
    except OSError:
        client.close()
        return
    try:
        upstream.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        back = threading.Thread(target=pump, args=(upstream, client), daemon=True)
        back.start()
    except (RuntimeError, MemoryError, OSError):
        # no thread to be had (the memory limit): the connection is closed, never left hanging
        client.close()
        upstream.close()
        return
    pump(client, upstream)
    back.join()
    client.close()
    upstream.close()
def serve():
    while app.poll() is None:
        try:
            socket.create_connection(("127.0.0.1", port)).close()
            break
        except OSError:
            time.sleep(0.02)
    if app.poll() is not None:
        return
    try:
        os.unlink(cfg["socket"])
    except FileNotFoundError:
        pass
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(cfg["socket"])
    os.chmod(cfg["socket"], 0o600)
    server.listen(512)
    say(up=True)
    while True:
        client, _ = server.accept()
        try:
            threading.Thread(target=handle, args=(client,), daemon=True).start()
        except (RuntimeError, MemoryError):
            client.close()
threading.Thread(target=control, daemon=True).start()
threading.Thread(target=serve, daemon=True).start()
rc = app.wait()
say(exit=rc if rc >= 0 else None, signal=signal.Signals(-rc).name if rc < 0 else None)
os._exit(0)
`;

/** The app's port inside its own network namespace: nothing else listens there. */
export const SANDBOXED_APP_PORT = 8080;

export interface SandboxedAppOptions {
  sandbox: SandboxOptions;
  mounts: SandboxMounts & { runDir: string };
  /** The runtime's interpreter (runs the relay, and `python -m <module>` unless `argv` says otherwise). */
  python: string;
  /** The app's command line, run by the relay inside. */
  argv: string[];
  /** The app's whole environment (PORT included). */
  env: Record<string, string>;
  /** `prlimit --as` for the sandbox's processes, when a memory limit applies. */
  memoryLimitBytes?: number;
  prlimit?: string;
  graceMs: number;
  onOutput: (stream: 'out' | 'err', data: Buffer) => void;
}

/**
 * Starts the app confined (see sandbox.ts) behind the relay. Only the launcher reaches it, through
 * `<runDir>/app.sock`; `ready()` resolves when the app accepts connections, `stop()` ends it gracefully.
 */
export function startSandboxedApp(o: SandboxedAppOptions): RunningApp {
  const socketPath = path.join(o.mounts.runDir, RELAY_SOCKET);
  const [bwrap, args] = sandboxCommand(o.sandbox, o.mounts, [o.python, '-I', '-S', '-c', RELAY]);
  const [cmd, argv] =
    o.memoryLimitBytes && o.prlimit ? [o.prlimit, [...prlimitArgs(o.memoryLimitBytes), '--', bwrap, ...args]] : [bwrap, args];
  // one malloc arena, not one per thread (64 MiB of address space each): the relay is threads and sockets
  const child = spawn(cmd, argv, { env: { ...TOOL_ENV, MALLOC_ARENA_MAX: '1' }, stdio: ['pipe', 'pipe', 'pipe', 'pipe'] });
  child.stdout!.on('data', (d: Buffer) => o.onOutput('out', d));
  child.stderr!.on('data', (d: Buffer) => o.onOutput('err', d));
  child.stdin!.on('error', () => undefined);
  child.stdin!.write(
    `${JSON.stringify({ argv: o.argv, cwd: o.mounts.cwd, env: o.env, port: SANDBOXED_APP_PORT, socket: `${SANDBOX_RUN_DIR}/${RELAY_SOCKET}`, grace: o.graceMs / 1000 })}\n`,
  );
  let up = false;
  let reported: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  const upWaiters: (() => void)[] = [];
  createInterface({ input: child.stdio[3] as Readable }).on('line', (line) => {
    try {
      const msg = JSON.parse(line) as { up?: boolean; exit?: number | null; signal?: NodeJS.Signals | null };
      if (msg.up) {
        up = true;
        for (const w of upWaiters.splice(0)) w();
      } else if ('exit' in msg) reported = { code: msg.exit ?? null, signal: msg.signal ?? null };
    } catch {
      /* not the relay's */
    }
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('error', () => resolve({ code: 127, signal: null }));
    child.once('close', (code, signal) => {
      for (const w of upWaiters.splice(0)) w();
      // The relay's report is the app's own exit; without one, the sandbox itself ended (killed, or it could not start).
      resolve(reported ?? { code, signal });
    });
  });
  let gone = false;
  void exited.then(() => (gone = true));
  return {
    child,
    exited,
    target: { socketPath },
    ready: (timeoutMs) =>
      new Promise((resolve) => {
        if (up) return resolve('listening');
        if (gone) return resolve('exited');
        const t = setTimeout(() => resolve(gone ? 'exited' : 'timeout'), timeoutMs);
        upWaiters.push(() => {
          clearTimeout(t);
          resolve(up ? 'listening' : 'exited');
        });
      }),
    stop: async (graceMs) => {
      if (gone) return;
      child.stdin!.end('stop\n');
      const t = setTimeout(() => child.kill('SIGKILL'), graceMs + 1000);
      await exited;
      clearTimeout(t);
    },
  };
}
