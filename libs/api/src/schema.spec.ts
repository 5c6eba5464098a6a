import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const lib = path.resolve(__dirname, '..');
const check = (file: string) =>
  promisify(execFile)(process.execPath, ['scripts/api-types.mjs', '--check', file], { cwd: lib }).then(
    ({ stdout }) => ({ code: 0, out: stdout }),
    (e: { code: number; stderr: string }) => ({ code: e.code, out: e.stderr }),
  );

/**
 * The API's types (src/schema.ts, used by the web UI and the CLI) are generated from the
 * gateway's OpenAPI document: a change of the API that the committed types do not have fails here
 * (regenerate them with `pnpm --filter @wharf/api run api:types`). Needs the gateway built.
 */
describe("the clients' API types", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wharf-api-types-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("match the gateway's current OpenAPI document", async () => {
    const result = await check('src/schema.ts');
    expect(result).toEqual({ code: 0, out: expect.stringContaining('matches the gateway') });
  });

  it('are found stale when they differ from it', async () => {
    const stale = path.join(dir, 'schema.ts');
    writeFileSync(stale, readFileSync(path.join(lib, 'src/schema.ts'), 'utf8').replace('"/api/v1/apps": {', '"/api/v1/applications": {'));
    const result = await check(stale);
    expect(result.code).toBe(1);
    expect(result.out).toMatch(/differs from the gateway's OpenAPI document \(first at line \d+\): run pnpm --filter @wharf\/api run api:types/);
  });
});
