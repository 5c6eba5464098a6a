import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { buildEnvProbeBundle, buildFileProbeBundle, checkoutOpenToOthers, childPids, freePort, rawZip } from '@wharf/testing';
import { buildExample } from '../../../examples/build';
import { CURRENT_LOG, PREVIOUS_LOG, RingLog } from './ring-log';

jest.setTimeout(60_000);

const ROOT = path.resolve(__dirname, '../../..');
const MAIN = path.join(ROOT, 'apps/launcher/dist/main.js');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let tmp: string;
let server: http.Server;
let base: string;
const bundles = new Map<string, { file: string; delayMs: number }>();
const children: ChildProcess[] = [];

const STREAM_APP = `import os, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        self.send_response(200)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for part in (b"first", b"second"):
            self.wfile.write(b"%x\\r\\n%s\\r\\n" % (len(part), part))
            self.wfile.flush()
            time.sleep(0.8)
        self.wfile.write(b"0\\r\\n\\r\\n")
ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), H).serve_forever()
`;

/** A threaded server as apps write them, holding each request 1.5 s, with a backlog that never refuses. */
const MANY_APP = `import os, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a):
        pass
    def do_GET(self):
        time.sleep(1.5)
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")
class S(ThreadingHTTPServer):
    request_queue_size = 1024
S(("127.0.0.1", int(os.environ["PORT"])), H).serve_forever()
`;

beforeAll(async () => {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-b', 'apps/launcher/tsconfig.json'], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stdout + r.stderr);
  tmp = mkdtempSync(path.join(os.tmpdir(), 'wharf-launcher-'));
  bundles.set('hello', { file: await buildExample('hello', tmp), delayMs: 1500 });
  const stream = path.join(tmp, 'stream.zip');
  writeFileSync(
    stream,
    rawZip([
      { name: 'app.toml', data: '[App]\nName = "stream"\nVersion = "1.0.0"\nTitle = "Stream"\n\n[Runtime]\nModule = "streamer"\n' },
      { name: 'streamer.py', data: STREAM_APP },
    ]),
  );
  bundles.set('stream', { file: stream, delayMs: 0 });
  const many = path.join(tmp, 'many.zip');
  writeFileSync(
    many,
    rawZip([
      { name: 'app.toml', data: '[App]\nName = "many"\nVersion = "1.0.0"\nTitle = "Many"\n\n[Runtime]\nModule = "many"\n' },
      { name: 'many.py', data: MANY_APP },
    ]),
  );
  bundles.set('many', { file: many, delayMs: 0 });
  const probeZip = path.join(tmp, 'probe.zip');
  writeFileSync(probeZip, await buildEnvProbeBundle());
  bundles.set('probe', { file: probeZip, delayMs: 0 });
  const fileProbeZip = path.join(tmp, 'fileprobe.zip');
  writeFileSync(fileProbeZip, await buildFileProbeBundle());
  bundles.set('fileprobe', { file: fileProbeZip, delayMs: 0 });
  server = http.createServer((req, res) => {
    const b = bundles.get((req.url ?? '').split('/').pop()!);
    if (!b || req.headers['x-wharf-internal-token'] !== 'tok') return void res.writeHead(401).end();
    setTimeout(() => res.writeHead(200).end(readFileSync(b.file)), b.delayMs);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/internal/bundles`;
});

afterAll(async () => {
  // Launchers run in their own process group (as the process driver starts them): a spec that
  // failed half-way leaves no app or interpreter behind either.
  for (const c of children) {
    try {
      process.kill(-c.pid!, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  await new Promise((r) => server.close(r));
  rmSync(tmp, { recursive: true, force: true });
});

/** The environment the process driver gives a launcher (less what these specs do not need). */
function launcherEnv(bundle: string, port: number, dir: string, opts: { sha?: string; module: string; env?: Record<string, string> }): Record<string, string> {
  const sha = opts.sha ?? createHash('sha256').update(readFileSync(bundles.get(bundle)!.file)).digest('hex');
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    PORT: String(port),
    WHARF_INSTANCE_ID: 'abcdefghij',
    WHARF_BUNDLE_URL: `${base}/${bundle}`,
    WHARF_BUNDLE_TOKEN: 'tok',
    WHARF_BUNDLE_SHA256: sha,
    WHARF_MODULE: opts.module,
    WHARF_WORK_DIR: path.join(dir, 'work'),
    WHARF_STATE_DIR: dir,
    WHARF_LOG_DIR: path.join(dir, 'logs'),
    ...opts.env,
  };
}

async function launch(bundle: string, opts: { sha?: string; module: string; env?: Record<string, string> }) {
  const port = await freePort();
  const dir = mkdtempSync(path.join(tmp, 'inst-'));
  const child = spawn(process.execPath, [MAIN], { env: launcherEnv(bundle, port, dir, opts), stdio: 'ignore', detached: true });
  children.push(child);
  const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  return { port, dir, child, exited };
}

function probe(port: number): Promise<number | 'refused'> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve('refused'));
  });
}

it('holds its port from the start: a progress page while fetching, then the app, never a refused connection in between', async () => {
  const { port, child, exited } = await launch('hello', { module: 'hello.app' });
  const seen: (number | 'refused')[] = [];
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const s = await probe(port);
    if (s !== 'refused' || seen.length) seen.push(s);
    if (s === 200) break;
    await sleep(20);
  }
  expect(seen[0]).toBe(503);
  expect(seen[seen.length - 1]).toBe(200);
  expect(seen).not.toContain('refused');
  const page = await new Promise<string>((resolve) => {
    // after the app is up, the progress page is gone: the app answers
    http.get({ host: '127.0.0.1', port, path: '/' }, (res) => {
      let t = '';
      res.on('data', (d: Buffer) => (t += d.toString()));
      res.on('end', () => resolve(t));
    });
  });
  expect(page).toContain('<title>Hello</title>'); // GREETING comes from the scheduler's env; not set here
  child.kill('SIGTERM');
  expect(await exited).toBe(0);
});

it('streams responses as the app writes them', async () => {
  const { port, child, exited } = await launch('stream', { module: 'streamer' });
  for (let i = 0; i < 200 && (await probe(port)) !== 200; i++) await sleep(50);
  const arrivals: [string, number][] = [];
  const t0 = Date.now();
  await new Promise<void>((resolve) => {
    http.get({ host: '127.0.0.1', port, path: '/' }, (res) => {
      res.on('data', (d: Buffer) => arrivals.push([d.toString(), Date.now() - t0]));
      res.on('end', () => resolve());
    });
  });
  expect(arrivals.map((a) => a[0]).join('')).toBe('firstsecond');
  expect(arrivals[0]![0]).toBe('first');
  expect(arrivals[0]![1]).toBeLessThan(600); // not held back until the end
  child.kill('SIGTERM');
  await exited;
});

it('refuses a bundle whose sha256 differs: FAILED with the reason, exit 1', async () => {
  const { dir, exited } = await launch('stream', { module: 'streamer', sha: '0'.repeat(64) });
  expect(await exited).toBe(1);
  const state = JSON.parse(readFileSync(path.join(dir, 'launcher.json'), 'utf8')) as { status: string; reason: string };
  expect(state.status).toBe('FAILED');
  expect(state.reason).toMatch(/sha256 is [0-9a-f]{64}, expected 0{64}; refusing to run it/);
  expect(existsSync(path.join(dir, 'work', 'app'))).toBe(false);
});

const REAL_PYTHON = spawnSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).stdout.trim();

/** A launcher in standby mode (as the process driver's pool starts it), with its interpreter started. */
async function standby() {
  const dir = mkdtempSync(path.join(tmp, 'standby-'));
  const child = spawn(process.execPath, [MAIN], {
    env: { PATH: process.env.PATH, LANG: 'C.UTF-8', WHARF_STANDBY: '1', WHARF_STANDBY_DIR: dir, WHARF_STANDBY_PYTHON: REAL_PYTHON },
    stdio: ['pipe', 'ignore', 'ignore'],
    cwd: dir,
    detached: true,
  });
  children.push(child);
  const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  let python: number | undefined;
  for (let i = 0; i < 200 && !python; i++) {
    python = childPids(child.pid!)[0];
    if (!python) await sleep(10);
  }
  expect(python).toBeDefined();
  return { child, exited, python: python! };
}

async function appView(port: number): Promise<Record<string, unknown>> {
  for (let i = 0; i < 300 && (await probe(port)) !== 200; i++) await sleep(20);
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
      let t = '';
      res.on('data', (d: Buffer) => (t += d.toString()));
      res.on('end', () => resolve(JSON.parse(t) as Record<string, unknown>));
    }).on('error', reject);
  });
}

it('as a standby, runs its instance in the interpreter it started ahead of time, which the app cannot tell from python -m', async () => {
  const appEnv = { LANG: 'C.UTF-8', WHARF_APP_ENV: JSON.stringify({ GREETING: 'hi' }), WHARF_PYTHON: REAL_PYTHON };
  const cold = await launch('probe', { module: 'probe.app', env: appEnv });
  const coldView = await appView(cold.port);

  const warm = await standby();
  const port = await freePort();
  const dir = mkdtempSync(path.join(tmp, 'inst-'));
  const env = { ...launcherEnv('probe', port, dir, { module: 'probe.app', env: appEnv }), HOME: path.join(dir, 'work') };
  mkdirSync(path.join(dir, 'work'));
  warm.child.stdin!.end(`${JSON.stringify({ env, cwd: path.join(dir, 'work') })}\n`);
  const warmView = await appView(port);
  expect(readFileSync(path.join(dir, 'logs', CURRENT_LOG), 'utf8')).toContain('in an interpreter started ahead of time');
  expect(childPids(warm.child.pid!)).toEqual([warm.python]); // the app is the interpreter started before

  // The same view once the instance's own folder and the app's port are set aside (the cold one ran without HOME).
  const norm = (v: Record<string, unknown>, d: string) =>
    // each launcher has a control socket of its own (in a fresh temporary folder)
    JSON.parse(JSON.stringify({ ...v, env: { ...(v.env as object), HOME: undefined, PORT: undefined, WHARF_CONTROL_SOCKET: undefined } }).replaceAll(d, '<dir>')) as unknown;
  expect(norm(warmView, dir)).toEqual(norm(coldView, cold.dir));
  expect(warmView).toMatchObject({ name: '__main__', globals: ['BaseHTTPRequestHandler', 'HTTPServer', 'json', 'os', 'sys'], stdin: '' });
  expect((warmView.env as Record<string, string>).GREETING).toBe('hi');
  expect(Object.keys(warmView.env as object).filter((k) => k.startsWith('WHARF_') && k !== 'WHARF_INSTANCE_ID').sort()).toEqual(['WHARF_BASE_PATH', 'WHARF_CONTROL_SOCKET']);
  expect((warmView.env as Record<string, string>).WHARF_BASE_PATH).toBe('/'); // none given: served at the root

  cold.child.kill('SIGTERM');
  warm.child.kill('SIGTERM');
  expect([await cold.exited, await warm.exited]).toEqual([0, 0]);
  expect(childPids(warm.child.pid!)).toEqual([]);
});

it('as a standby, exits with its interpreter when its scheduler goes away before giving it an instance', async () => {
  const warm = await standby();
  warm.child.stdin!.end(); // what a scheduler killed with -9 leaves: end-of-file
  expect(await warm.exited).toBe(0);
  for (let i = 0; i < 100 && existsSync(`/proc/${warm.python}`); i++) await sleep(20);
  expect(existsSync(`/proc/${warm.python}`)).toBe(false);
});

const HAS_BWRAP = spawnSync('bwrap', ['--version']).status === 0;
const AS_ROOT = process.getuid?.() === 0;
let nextUid = 200_000 + (process.pid % 50_000);

/**
 * A launcher whose app runs sandboxed, as the process driver starts it: the instance's work/,
 * data/ and run/ folders belong to its own uid (as root); `env` adds or overrides variables.
 */
async function launchSandboxed(bundle: string, module: string, env: Record<string, string> = {}) {
  const port = await freePort();
  const dir = mkdtempSync(path.join(tmp, 'inst-'));
  const uid = nextUid++;
  for (const d of ['work', 'data', 'run']) {
    mkdirSync(path.join(dir, d), { mode: 0o700 });
    if (AS_ROOT) chownSync(path.join(dir, d), uid, uid);
  }
  const child = spawn(
    process.execPath,
    [MAIN],
    {
      env: {
        ...launcherEnv(bundle, port, dir, { module }),
        WHARF_PYTHON: REAL_PYTHON,
        WHARF_VOLUME_DIR: path.join(dir, 'data'),
        WHARF_SANDBOX: 'bwrap',
        WHARF_RUN_DIR: path.join(dir, 'run'),
        // served under a path (BASE_URL): the app is told which
        WHARF_BASE_PATH: '/instance/abcdefghij/',
        ...(AS_ROOT ? { WHARF_SANDBOX_UID: String(uid), WHARF_SANDBOX_GID: String(uid) } : {}),
        ...env,
      },
      stdio: 'ignore',
      detached: true,
    },
  );
  children.push(child);
  const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  return { port, dir, uid, child, exited };
}

(HAS_BWRAP ? it : it.skip)('relays 200 connections at once under the default 512Mi memory limit: every one answered, none left hanging', async () => {
  // an address-space limit: without small thread stacks and few malloc arenas (relay and app),
  // a threaded app and the relay ran out of it at about 20 connections and left the rest hanging
  const { port, child, exited } = await launchSandboxed('many', 'many', { WHARF_PRLIMIT: 'prlimit', WHARF_MEMORY_LIMIT_BYTES: String(512 * 1024 * 1024) });
  for (let i = 0; i < 200 && (await probe(port)) !== 200; i++) await sleep(50);
  const agent = new http.Agent({ keepAlive: false, maxSockets: 300 });
  const one = () =>
    new Promise<string>((resolve) => {
      const req = http.get({ host: '127.0.0.1', port, path: '/', agent }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve(`${res.statusCode} ${body}`));
        res.on('error', (e) => resolve(e.message));
      });
      req.setTimeout(30_000, () => req.destroy(new Error('left hanging')));
      req.on('error', (e) => resolve(e.message));
    });
  const answers = await Promise.all(Array.from({ length: 200 }, one));
  expect(answers.filter((a) => a !== '200 ok')).toEqual([]);
  agent.destroy();
  child.kill('SIGTERM');
  await exited;
});

(HAS_BWRAP ? it : it.skip)('runs the app sandboxed: its own uid, no network, nothing of the host but the runtime, its env apart from the launcher\'s', async () => {
  const appEnv = { GREETING: 'hi', LD_PRELOAD: '/nonexistent.so', NODE_OPTIONS: '--require /nonexistent.js', PATH: '/usr/bin:/bin' };
  const { port, dir, uid, child, exited } = await launchSandboxed('probe', 'probe.app', { WHARF_APP_ENV: JSON.stringify(appEnv) });
  const view = await appView(port);
  const seen = view.env as Record<string, string>;
  expect(seen).toMatchObject({ GREETING: 'hi', LD_PRELOAD: '/nonexistent.so', PORT: '8080', HOME: path.join(dir, 'work') });
  expect(Object.keys(seen).filter((k) => k.startsWith('WHARF_') && !['WHARF_INSTANCE_ID', 'WHARF_VOLUME_DIR'].includes(k)).sort()).toEqual(['WHARF_BASE_PATH', 'WHARF_CONTROL_SOCKET']);
  expect(seen.WHARF_CONTROL_SOCKET).toBe('/run/wharf/control.sock'); // the sandbox's run folder, not the host's path
  expect(seen.WHARF_BASE_PATH).toBe('/instance/abcdefghij/');
  // The app's variables never became the launcher's own.
  const launcherEnviron = readFileSync(`/proc/${child.pid}/environ`, 'utf8').split('\0');
  expect(launcherEnviron.filter((l) => /^(GREETING|LD_PRELOAD|NODE_OPTIONS)=/.test(l))).toEqual([]);
  // The launcher listens on loopback only, and no port of the app's is open on this host.
  const listening = readFileSync('/proc/net/tcp', 'utf8') + readFileSync('/proc/net/tcp6', 'utf8');
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  expect(listening).toMatch(new RegExp(`0100007F:${hex} 00000000:0000 0A`));
  expect(listening).not.toMatch(new RegExp(`00000000:${hex} `));
  expect(statSync(path.join(dir, 'run', 'app.sock')).isSocket()).toBe(true);
  if (AS_ROOT) {
    // The app (the relay's child, deep under bubblewrap) runs as the instance's uid.
    const uids: number[] = [];
    const walk = (pid: number): void => {
      for (const c of childPids(pid)) {
        uids.push(Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${c}/status`, 'utf8'))![1]));
        walk(c);
      }
    };
    walk(child.pid!);
    expect(uids).toContain(uid);
    expect(uids.filter((u) => u !== 0 && u !== uid)).toEqual([]);
  }
  child.kill('SIGTERM');
  expect(await exited).toBe(0);
  expect(childPids(child.pid!)).toEqual([]);
});

// Run as another user, the launcher must reach this checkout (not so in a clone under a private folder).
(HAS_BWRAP && AS_ROOT && existsSync('/usr/bin/python3') && checkoutOpenToOthers() ? it : it.skip)('sandboxes apps when Wharf does not run as root too (an unprivileged user namespace)', async () => {
  const port = await freePort();
  const wharfUid = 200_000 + ((process.pid + 3) % 50_000);
  const dir = mkdtempSync(path.join(tmp, 'inst-'));
  chmodSync(tmp, 0o755);
  for (const d of ['', 'work', 'data', 'run', 'logs']) {
    mkdirSync(path.join(dir, d), { recursive: true, mode: 0o700 });
    chownSync(path.join(dir, d), wharfUid, wharfUid);
  }
  const env = {
    ...launcherEnv('probe', port, dir, { module: 'probe.app' }),
    PATH: '/usr/bin:/bin',
    WHARF_PYTHON: '/usr/bin/python3',
    WHARF_APP_ENV: JSON.stringify({ GREETING: 'hi' }),
    WHARF_VOLUME_DIR: path.join(dir, 'data'),
    WHARF_SANDBOX: 'bwrap',
    WHARF_RUN_DIR: path.join(dir, 'run'),
  };
  const child = spawn(process.execPath, [MAIN], { env, stdio: 'ignore', detached: true, uid: wharfUid, gid: wharfUid });
  children.push(child);
  const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  const view = await appView(port);
  expect((view.env as Record<string, string>).GREETING).toBe('hi');
  expect(readFileSync(path.join(dir, 'logs', CURRENT_LOG), 'utf8')).toContain('in a sandbox, with no network');
  child.kill('SIGTERM');
  expect(await exited).toBe(0);
});

(HAS_BWRAP ? it : it.skip)('builds a venv inside the sandbox, then shares it read-only and owned by the launcher\'s user', async () => {
  bundles.set('wheel', { file: await buildExample('wheel-app', tmp), delayMs: 0 });
  const cache = mkdtempSync(path.join(tmp, 'venvs-'));
  const { port, dir, child, exited } = await launchSandboxed('wheel', 'wheelapp.app', { WHARF_VENV_CACHE: cache });
  for (let i = 0; i < 600 && (await probe(port)) !== 200; i++) await sleep(50);
  expect(await probe(port)).toBe(200);
  const [venv] = readdirSync(cache).filter((n) => !n.startsWith('.') && !n.endsWith('.lock'));
  const st = statSync(path.join(cache, venv!));
  expect(st.uid).toBe(process.getuid!());
  expect(st.mode & 0o222).toBe(0);
  // What the user reads (the log) names no folder of the host's caches.
  expect(readFileSync(path.join(dir, 'logs', CURRENT_LOG), 'utf8')).not.toContain(cache);
  child.kill('SIGTERM');
  expect(await exited).toBe(0);
});

(HAS_BWRAP ? it : it.skip)('keeps the memory limit in the sandbox: an app that allocates past it fails with MemoryError', async () => {
  const hog = path.join(tmp, 'hog.zip');
  writeFileSync(
    hog,
    rawZip([
      { name: 'app.toml', data: '[App]\nName = "hog"\nVersion = "1.0.0"\nTitle = "Hog"\n\n[Runtime]\nModule = "hog"\n' },
      { name: 'hog.py', data: 'import sys\ntry:\n    b = bytearray(600 * 1024 * 1024)\n    print("allocated", len(b))\nexcept MemoryError:\n    print("MemoryError: limit held")\n    sys.exit(3)\n' },
    ]),
  );
  bundles.set('hog', { file: hog, delayMs: 0 });
  const { dir, exited } = await launchSandboxed('hog', 'hog', { WHARF_PRLIMIT: 'prlimit', WHARF_MEMORY_LIMIT_BYTES: String(300 * 1024 * 1024) });
  expect(await exited).toBe(1);
  const state = JSON.parse(readFileSync(path.join(dir, 'launcher.json'), 'utf8')) as { status: string; reason: string };
  expect(state.status).toBe('FAILED');
  expect(state.reason).toContain('the app exited with code 3');
  expect(state.reason).toContain('MemoryError: limit held');
});

/** What the file probe app reports for `paths`. */
async function fileView(port: number, paths: string[]): Promise<{ uid: number; files: Record<string, unknown>[] }> {
  for (let i = 0; i < 300 && (await probe(port)) !== 200; i++) await sleep(20);
  const query = paths.map((p) => `path=${encodeURIComponent(p)}`).join('&');
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: `/?${query}`, agent: false }, (res) => {
      let t = '';
      res.on('data', (d: Buffer) => (t += d.toString()));
      res.on('end', () => resolve(JSON.parse(t) as { uid: number; files: Record<string, unknown>[] }));
    }).on('error', reject);
  });
}

/** `[[File]]` contents as the process driver writes them: Wharf's folder, literal 0444, secret 0440 with the instance's group. */
function writeAppFiles(dir: string, uid: number, files: { path: string; value: string; secret?: boolean }[]): string {
  const folder = path.join(dir, 'files');
  mkdirSync(folder, { mode: 0o700 });
  const mounts = files.map((f, i) => {
    const source = path.join(folder, String(i));
    writeFileSync(source, f.value, { mode: 0o600 });
    if (AS_ROOT) chownSync(source, 0, uid);
    chmodSync(source, f.secret ? 0o440 : 0o444);
    return { path: f.path, source };
  });
  return JSON.stringify(mounts);
}

(HAS_BWRAP ? it : it.skip)('mounts [[File]] entries read-only at their paths: the app reads them, and cannot write, chmod, move or remove them', async () => {
  const dir = mkdtempSync(path.join(tmp, 'files-'));
  const uid = nextUid; // launchSandboxed's next
  const mounts = writeAppFiles(dir, uid, [
    { path: '/etc/hello/config.ini', value: '[greeting]\ntext = hi\n' },
    { path: '/srv/hello/key.pem', value: 'PRIVATE KEY s3cr3t', secret: true },
  ]);
  const { port, dir: inst, child, exited } = await launchSandboxed('fileprobe', 'fileprobe.app', { WHARF_APP_FILES: mounts });
  const view = await fileView(port, ['/etc/hello/config.ini', '/srv/hello/key.pem']);
  if (AS_ROOT) expect(view.uid).toBe(uid);
  const [config, key] = view.files;
  expect(config).toMatchObject({ content: '[greeting]\ntext = hi\n', mode: '0o444' });
  expect(key).toMatchObject({ content: 'PRIVATE KEY s3cr3t', mode: '0o440', ...(AS_ROOT ? { uid: 0, gid: uid } : {}) });
  for (const f of [config!, key!]) {
    for (const op of ['write', 'chmod', 'rename', 'unlink', 'sibling']) expect([op, f[op]]).toEqual([op, expect.not.stringMatching(/^ok$/)]);
  }
  // Nothing changed outside, and the log names the paths, never the contents.
  expect(readFileSync(path.join(dir, 'files', '1'), 'utf8')).toBe('PRIVATE KEY s3cr3t');
  expect(statSync(path.join(dir, 'files', '0')).mode & 0o777).toBe(0o444);
  const log = readFileSync(path.join(inst, 'logs', CURRENT_LOG), 'utf8');
  expect(log).toContain('[[File]] entries, read-only: /etc/hello/config.ini, /srv/hello/key.pem');
  expect(log).not.toContain('s3cr3t');
  child.kill('SIGTERM');
  expect(await exited).toBe(0);
});

(HAS_BWRAP ? it : it.skip)("refuses [[File]] paths where the sandbox has folders of its own (the instance's work folder): FAILED with the reason, the app never started", async () => {
  const dir = mkdtempSync(path.join(tmp, 'files-'));
  const port = await freePort();
  const inst = mkdtempSync(path.join(tmp, 'inst-'));
  const mounts = writeAppFiles(dir, nextUid, [{ path: path.join(inst, 'work', 'app', 'hello', 'app.py'), value: 'print("replaced")' }]);
  const child = spawn(
    process.execPath,
    [MAIN],
    {
      env: { ...launcherEnv('fileprobe', port, inst, { module: 'fileprobe.app' }), WHARF_PYTHON: REAL_PYTHON, WHARF_SANDBOX: 'bwrap', WHARF_RUN_DIR: path.join(inst, 'run'), WHARF_APP_FILES: mounts },
      stdio: 'ignore',
      detached: true,
    },
  );
  children.push(child);
  expect(await new Promise<number | null>((r) => child.once('exit', (c) => r(c)))).toBe(1);
  const state = JSON.parse(readFileSync(path.join(inst, 'launcher.json'), 'utf8')) as { status: string; reason: string };
  expect(state.status).toBe('FAILED');
  expect(state.reason).toMatch(/^the app's \[\[File\]\] entries cannot be mounted: .*app\.py is where the sandbox has one of the instance's folders \(its work folder, volume, runtime or packages\); choose another path/);
  expect(existsSync(path.join(inst, 'work', 'app'))).toBe(false); // refused before the bundle was even fetched
});

it('refuses [[File]] entries without a sandbox, rather than run the app without them: FAILED with the reason', async () => {
  const dir = mkdtempSync(path.join(tmp, 'files-'));
  const mounts = writeAppFiles(dir, nextUid, [{ path: '/etc/hello/config.ini', value: 'x' }]);
  const { dir: inst, exited } = await launch('fileprobe', { module: 'fileprobe.app', env: { WHARF_APP_FILES: mounts } });
  expect(await exited).toBe(1);
  const state = JSON.parse(readFileSync(path.join(inst, 'launcher.json'), 'utf8')) as { status: string; reason: string };
  expect(state.status).toBe('FAILED');
  expect(state.reason).toMatch(
    /^the app's \[\[File\]\] entries \(\/etc\/hello\/config\.ini\) are mounted only in the sandbox \(bubblewrap\), and this launcher runs without one; ask an administrator to set Scheduler\.ProcessSandbox = "bwrap"/,
  );
  expect(existsSync('/etc/hello/config.ini')).toBe(false);
});

it('keeps logs in a bounded ring of two files', () => {
  const dir = mkdtempSync(path.join(tmp, 'ring-'));
  const ring = new RingLog(dir, 10_000);
  for (let i = 0; i < 5000; i++) ring.write(`line ${i}\n`);
  ring.close();
  expect(statSync(path.join(dir, CURRENT_LOG)).size).toBeLessThanOrEqual(10_000);
  expect(statSync(path.join(dir, PREVIOUS_LOG)).size).toBeLessThanOrEqual(10_000);
  const text = readFileSync(path.join(dir, PREVIOUS_LOG), 'utf8') + readFileSync(path.join(dir, CURRENT_LOG), 'utf8');
  expect(text.endsWith('line 4999\n')).toBe(true);
  expect(text).not.toContain('line 0\n');
});
