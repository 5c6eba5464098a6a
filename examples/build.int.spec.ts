import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { inspectBundle } from '@wharf/manifest';
import { buildExamples, EXAMPLES } from './build';

let dir: string;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('builds every example into a valid, deterministic bundle', async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'wharf-examples-'));
  const first = await buildExamples(path.join(dir, 'a'));
  const second = await buildExamples(path.join(dir, 'b'));
  const modules: Record<string, string> = {};
  for (const name of EXAMPLES) {
    expect(readFileSync(first[name]).equals(readFileSync(second[name]))).toBe(true);
    const { manifest } = await inspectBundle(first[name]);
    expect(manifest.name).toBe(name);
    modules[name] = manifest.runtime.module;
  }
  expect(modules).toEqual({ hello: 'hello.app', 'echo-ws': 'echows.app', 'wheel-app': 'wheelapp.app', crash: 'crashapp.app', attacker: 'attacker.app' });
});
