import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort, rawZip } from '@wharf/testing';
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
  server = http.createServer((req, res) => {
    const b = bundles.get((req.url ?? '').split('/').pop()!);
    if (!b || req.headers['x-wharf-internal-token'] !== 'tok') return void res.writeHead(401).end();
    setTimeout(() => res.writeHead(200).end(readFileSync(b.file)), b.delayMs);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/internal/bundles`;
});

afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await new Promise((r) => server.close(r));
  rmSync(tmp, { recursive: true, force: true });
});

async function launch(bundle: string, opts: { sha?: string; module: string }) {
  const port = await freePort();
  const dir = mkdtempSync(path.join(tmp, 'inst-'));
  const sha = opts.sha ?? createHash('sha256').update(readFileSync(bundles.get(bundle)!.file)).digest('hex');
  const child = spawn(process.execPath, [MAIN], {
    env: {
      PATH: process.env.PATH,
      PORT: String(port),
      WHARF_INSTANCE_ID: 'abcdefghij',
      WHARF_BUNDLE_URL: `${base}/${bundle}`,
      WHARF_BUNDLE_TOKEN: 'tok',
      WHARF_BUNDLE_SHA256: sha,
      WHARF_MODULE: opts.module,
      WHARF_WORK_DIR: path.join(dir, 'work'),
      WHARF_STATE_DIR: dir,
      WHARF_LOG_DIR: path.join(dir, 'logs'),
    },
    stdio: 'ignore',
  });
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
