import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const PKG = path.resolve(__dirname, '..');

/**
 * The package as a user outside the repository gets it: packed (`pnpm pack`), installed globally
 * with npm into a prefix of its own, with nothing fetched (the command and the launcher are
 * bundled, the package has no dependencies), and run from there.
 */
describe('the packed wharf package', () => {
  let tmp: string;
  beforeAll(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'wharf-cli-pack-'));
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('installs globally from its tarball with nothing to fetch, and runs', async () => {
    if (!existsSync(path.join(PKG, 'dist/wharf.cjs'))) throw new Error('build the CLI first (pnpm --filter @wharf/cli build)');
    execFileSync('pnpm', ['pack', '--pack-destination', tmp], { cwd: PKG, stdio: 'pipe' });
    const tarball = readdirSync(tmp).find((f) => f.endsWith('.tgz'));
    expect(tarball).toMatch(/^wharf-cli-\d+\.\d+\.\d+\.tgz$/);
    const files = execFileSync('tar', ['tzf', path.join(tmp, tarball!)], { encoding: 'utf8' }).split('\n').filter(Boolean).sort();
    expect(files).toEqual(['package/README.md', 'package/bin/wharf.js', 'package/dist/launcher.cjs', 'package/dist/wharf.cjs', 'package/package.json']);
    const prefix = path.join(tmp, 'global');
    // --offline: a dependency to fetch would fail the install
    execFileSync('npm', ['install', '-g', '--offline', '--no-audit', '--no-fund', '--prefix', prefix, path.join(tmp, tarball!)], { stdio: 'pipe' });
    const bin = path.join(prefix, 'bin/wharf');
    const env = { PATH: process.env.PATH, HOME: tmp };
    expect(execFileSync(bin, ['--version'], { encoding: 'utf8', env }).trim()).toMatch(/^\d+\.\d+\.\d+$/);
    expect(execFileSync(bin, ['exec', '--help'], { encoding: 'utf8', env })).toContain('--port');
    execFileSync(bin, ['bundle', 'init', path.join(tmp, 'app')], { env, stdio: 'pipe' });
    expect(execFileSync(bin, ['bundle', 'validate', path.join(tmp, 'app'), '-o', 'json'], { encoding: 'utf8', env })).toContain('"valid": true');

    // wharf exec runs the app with the launcher bundled beside the command (no repository around it), until Ctrl-C
    const port = 40_000 + Math.floor(Math.random() * 20_000);
    const exec = spawn(bin, ['exec', path.join(tmp, 'app'), '--port', String(port)], { env, cwd: tmp, stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    exec.stdout.setEncoding('utf8').on('data', (c: string) => (log += c));
    exec.stderr.setEncoding('utf8').on('data', (c: string) => (log += c));
    const exited = new Promise<number | null>((r) => exec.on('close', (code) => r(code)));
    let page = '';
    for (let i = 0; i < 150 && !page; i++) {
      await new Promise((r) => setTimeout(r, 200));
      page = await fetch(`http://127.0.0.1:${port}/`).then((r) => (r.ok ? r.text() : ''), () => '');
    }
    exec.kill('SIGINT');
    const code = await exited;
    expect([page.includes('Hello from Wharf'), log]).toEqual([true, expect.stringContaining('the app is up')]);
    expect(code).toBe(130);
  }, 60_000);
});
