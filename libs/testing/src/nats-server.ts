import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freeLoopbackPort, loopbackPortFree } from '@wharf/host';

/** Jest runs test files side by side in workers 1, 2, …; each gets its own slice of the ranges below. */
const WORKER_SLOTS = 8;
/** Where `freePort` hands out ports under Jest: below the kernel's ephemeral range, outside Scheduler.ProcessPortRange's default. */
const TEST_PORTS: readonly [number, number] = [10_000, 19_999];
/** Scheduler.ProcessPortRange's default, which `workerProcessPortRange` divides. */
const PROCESS_PORTS: readonly [number, number] = [20_000, 29_999];

const jestWorker = (): number | null => {
  const w = Number(process.env.JEST_WORKER_ID);
  return Number.isInteger(w) && w >= 1 ? (w - 1) % WORKER_SLOTS : null;
};

const sliceOf = ([first, last]: readonly [number, number], slot: number): [number, number] => {
  const size = Math.floor((last - first + 1) / WORKER_SLOTS);
  return [first + slot * size, first + (slot + 1) * size - 1];
};

let cursor = -1;

/**
 * A free TCP port on loopback (bound then released). Under Jest, from this worker's own slice of
 * 10000-19999, in turn: never one another worker's test hands out at the same moment, and never
 * one the kernel gives to an outgoing connection (its ephemeral range starts at 32768) — with
 * `listen(0)` ports (the default elsewhere) both happened now and then between a test choosing a
 * port and its server listening there.
 */
export async function freePort(): Promise<number> {
  const slot = jestWorker();
  if (slot === null) return freeLoopbackPort();
  const [first, last] = sliceOf(TEST_PORTS, slot);
  const size = last - first + 1;
  if (cursor < 0) cursor = Math.floor(Math.random() * size);
  for (let i = 0; i < size; i++) {
    const port = first + (cursor++ % size);
    if (await loopbackPortFree(port)) return port;
  }
  return freeLoopbackPort();
}

/**
 * Under Jest, this worker's slice of Scheduler.ProcessPortRange's default (as its JSON setting),
 * for a system whose process driver must not claim the launcher ports of another worker's system
 * (claims are per data dir; two systems on one host would otherwise race for the same ports).
 * Null outside Jest.
 */
export function workerProcessPortRange(): string | null {
  const slot = jestWorker();
  return slot === null ? null : JSON.stringify(sliceOf(PROCESS_PORTS, slot));
}

/**
 * A loopback port held until `release()`, for a server that must know its port long before it
 * listens (it is in its own settings): call `release()` right before `listen`. With `freePort`,
 * a test file on another worker that listens on port 0 in between could be given the same port.
 */
export function reservePort(): Promise<{ port: number; release(): Promise<void> }> {
  return new Promise((resolve, reject) => {
    const holder = net.createServer();
    holder.unref(); // a harness that fails before releasing it leaves no handle keeping Jest alive
    holder.once('error', reject);
    holder.listen(0, '127.0.0.1', () => {
      const { port } = holder.address() as net.AddressInfo;
      resolve({ port, release: () => new Promise<void>((r) => holder.close(() => r())) });
    });
  });
}

export interface NatsServer {
  url: string;
  port: number;
  stop(): Promise<void>;
}

/**
 * A private nats-server (with JetStream) for one test file, so services in different test
 * files never answer each other's requests. Needs `nats-server` on PATH (Debian: nats-server).
 * `config`: nats-server config text (e.g. an `authorization` block); none: anyone may connect.
 */
export async function startNatsServer(opts: { config?: string } = {}): Promise<NatsServer> {
  const bin = spawnSync('sh', ['-c', 'command -v nats-server'], { encoding: 'utf8' }).stdout.trim();
  if (!bin) throw new Error('nats-server is not on PATH: apt-get install nats-server');
  const port = await freePort();
  const store = mkdtempSync(path.join(os.tmpdir(), 'wharf-nats-'));
  const args = ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', store];
  if (opts.config !== undefined) {
    const file = path.join(store, 'nats-server.conf');
    writeFileSync(file, opts.config, { mode: 0o600 });
    args.push('-c', file);
  }
  const proc = spawn(bin, args, { stdio: 'ignore' });
  const until = Date.now() + 10_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`nats-server exited with ${proc.exitCode}`);
    const ok = await new Promise<boolean>((r) => {
      const s = net.connect({ host: '127.0.0.1', port }, () => (s.destroy(), r(true)));
      s.once('error', () => r(false));
    });
    if (ok) break;
    if (Date.now() > until) throw new Error('nats-server did not start within 10 s');
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    stop: async () => {
      if (proc.exitCode === null) {
        const exited = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGTERM');
        await exited;
      }
      rmSync(store, { recursive: true, force: true });
    },
  };
}
