import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run } from '../main';

// ESM only, and never used here (not a terminal)

/** Runs the CLI in-process; answers the exit code and what it wrote to stdout and stderr. */
async function wharf(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const o = jest.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
  const e = jest.spyOn(process.stderr, 'write').mockImplementation((s) => (err.push(String(s)), true));
  try {
    const code = await run(['node', 'wharf', ...args], { NO_COLOR: '1', WHARF_CONFIG: '/nonexistent/config.json' });
    return { code, out: out.join(''), err: err.join('') };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

describe('wharf bundle init / validate', () => {
  let tmp: string;
  beforeEach(() => (tmp = mkdtempSync(path.join(os.tmpdir(), 'wharf-cli-cmd-'))));
  afterEach(() => rmSync(tmp, { recursive: true, force: true }));

  it('init writes an app that validate accepts, and refuses to overwrite, naming the files', async () => {
    const dir = path.join(tmp, 'My_App');
    const init = await wharf(['bundle', 'init', dir]);
    expect(init.code).toBe(0);
    expect(init.err).toMatch(/wharf bundle deploy/);
    expect(readFileSync(path.join(dir, 'app.toml'), 'utf8')).toMatch(/Name = "my_app"|Name = "my-app"/);
    const ok = await wharf(['bundle', 'validate', dir, '-o', 'json']);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.out)).toMatchObject({ valid: true, problems: [], manifest: { name: 'my-app', version: '0.1.0' } });
    const again = await wharf(['bundle', 'init', dir]);
    expect(again.code).toBe(1);
    expect(again.err).toMatch(/already has app.toml, my_app\/__init__.py, my_app\/app.py, static\/icon.png, .wharfignore: nothing was written/);
  });

  it('validate prints every problem with its field path and exits 1', async () => {
    await wharf(['bundle', 'init', tmp, '--name', 'demo']);
    writeFileSync(path.join(tmp, 'app.toml'), readFileSync(path.join(tmp, 'app.toml'), 'utf8').replace('Version = "0.1.0"', 'Version = "1.0"\nTitel = "x"'));
    const table = await wharf(['bundle', 'validate', tmp]);
    expect(table.code).toBe(1);
    expect(table.out).toMatch(/app\.toml:App\.Version\s+must be a semantic version/);
    expect(table.out).toMatch(/app\.toml:App\.Titel\s+unknown key/);
    const json = await wharf(['bundle', 'validate', tmp, '-o', 'json']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.out).problems.map((p: { path: string }) => p.path)).toEqual(['app.toml:App.Version', 'app.toml:App.Titel']);
  });
});
