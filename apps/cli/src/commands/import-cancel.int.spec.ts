import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';

const CLI = path.resolve(__dirname, '../../dist/wharf.cjs');

/**
 * Ctrl-C during `wharf bundle import`, with the built command and a stand-in for the gateway that
 * reads the upload slowly: the command cuts the request (the server sees the body end before its
 * Content-Length: the gateway then aborts the import, which keeps nothing — the repository's
 * "leaves nothing behind when the client disconnects mid-upload" spec holds it to that), says so and
 * exits 130, as a shell reports an interrupted command.
 */
describe('wharf bundle import, cancelled with Ctrl-C', () => {
  let dir: string;
  beforeAll(() => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build the CLI first (pnpm --filter @wharf/cli build)`);
    dir = mkdtempSync(path.join(os.tmpdir(), 'wharf-cli-cancel-'));
    const run = (args: string[]) => spawnSync(process.execPath, [CLI, ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    expect(run(['bundle', 'init', 'big-app']).status).toBe(0);
    writeFileSync(path.join(dir, 'big-app/static/data.bin'), randomBytes(16 * 1024 * 1024)); // incompressible: the zip stays ~16 MiB
    const built = run(['bundle', 'build', 'big-app', '-f', 'big-app.zip']);
    expect(built.stderr).not.toMatch(/error/);
    expect(built.status).toBe(0);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('cuts the upload, keeps nothing, and exits 130', async () => {
    let received = 0;
    let declared = 0;
    let requestEnded: (how: 'complete' | 'cut') => void;
    const ended = new Promise<'complete' | 'cut'>((r) => (requestEnded = r));
    const server = http.createServer((req, res) => {
      declared = Number(req.headers['content-length'] ?? 0);
      // a slow reader: 64 KiB every 50 ms
      req.on('data', (chunk: Buffer) => {
        received += chunk.length;
        req.pause();
        setTimeout(() => req.resume(), 50);
      });
      req.on('end', () => {
        requestEnded('complete');
        res.writeHead(500).end();
      });
      req.on('close', () => !req.complete && requestEnded('cut'));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const child = spawn(process.execPath, [CLI, 'bundle', 'import', 'big-app.zip'], {
        cwd: dir,
        env: { ...process.env, WHARF_URL: url, WHARF_TOKEN: 'wharf_pat_test', WHARF_CONFIG: path.join(dir, 'config.json'), NO_COLOR: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
      const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
      // once the upload is under way, Ctrl-C
      for (let i = 0; i < 200 && received < 1024 * 1024; i++) await new Promise((r) => setTimeout(r, 25));
      expect(received).toBeGreaterThan(0);
      child.kill('SIGINT');
      expect(await exited).toBe(130);
      expect(await ended).toBe('cut');
      expect(received).toBeLessThan(declared);
      expect(stderr).toMatch(/cancel/i);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});
