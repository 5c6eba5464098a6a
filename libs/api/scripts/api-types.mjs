// The REST API's types for its TypeScript clients (the web UI and the wharf CLI), generated from
// the gateway's OpenAPI document (the one it serves at /api/docs-json, built offline by
// apps/gateway/dist/openapi/write-openapi.js) with openapi-typescript.
//
//   node scripts/api-types.mjs                 writes src/schema.ts
//   node scripts/api-types.mjs --check [file]  exits 1 when the file (default src/schema.ts)
//                                              differs from what the gateway's document gives
//
// The gateway must be built first (`pnpm build`, which `npm start` and `npm test` run).
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import openapiTS, { astToString } from 'openapi-typescript';

const here = path.dirname(fileURLToPath(import.meta.url));
const lib = path.resolve(here, '..');
const writer = path.resolve(lib, '../../apps/gateway/dist/openapi/write-openapi.js');
const target = path.join(lib, 'src/schema.ts');

const HEADER = `/**
 * Generated from the gateway's OpenAPI document by libs/api/scripts/api-types.mjs
 * (\`pnpm --filter @wharf/api run api:types\`). Do not edit: the test suite fails when this file
 * and the gateway's current document differ.
 */

`;

async function gatewayDocument() {
  if (!existsSync(writer)) throw new Error(`${path.relative(process.cwd(), writer)} is missing: build the gateway first (pnpm build)`);
  const { stdout } = await promisify(execFile)(process.execPath, [writer], { maxBuffer: 64 * 1024 * 1024 });
  return JSON.parse(stdout);
}

export async function generateApiTypes() {
  return HEADER + astToString(await openapiTS(await gatewayDocument(), { alphabetize: true }));
}

async function main() {
  const args = process.argv.slice(2);
  const generated = await generateApiTypes();
  if (args[0] === '--check') {
    const file = path.resolve(args[1] ?? target);
    const current = existsSync(file) ? readFileSync(file, 'utf8') : '';
    if (current !== generated) {
      const a = current.split('\n');
      const b = generated.split('\n');
      const line = a.findIndex((l, i) => l !== b[i]);
      console.error(
        `${path.relative(process.cwd(), file)} differs from the gateway's OpenAPI document (first at line ${(line < 0 ? a.length : line) + 1}): ` +
          `run pnpm --filter @wharf/api run api:types and commit the result`,
      );
      process.exit(1);
    }
    console.log(`${path.relative(process.cwd(), file)} matches the gateway's OpenAPI document`);
    return;
  }
  if (args.length) throw new Error(`unknown arguments: ${args.join(' ')} (use --check [file], or nothing to write ${path.relative(process.cwd(), target)})`);
  writeFileSync(target, generated);
  console.log(`wrote ${path.relative(process.cwd(), target)}`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e) => {
    console.error(e instanceof Error ? e.message : String(e));
    process.exit(1);
  });
}
