import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freeLoopbackPort } from '@wharf/host';

/** A free TCP port on loopback (bound then released). */
export const freePort = (): Promise<number> => freeLoopbackPort();

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
