// Bundles the CLI into one file, dist/wharf.cjs (its libraries and the workspace's included), so
// that the package installs anywhere with nothing to fetch: `npm install -g <the packed tarball>`.
// Beside it, dist/launcher.cjs: the platform's launcher (apps/launcher), bundled the same way, which
// `wharf exec` runs an app folder with.
import { build } from 'esbuild';
import { chmodSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const { version } = JSON.parse(readFileSync(path.join(here, 'package.json'), 'utf8'));
const outfile = path.join(here, 'dist/wharf.cjs');
await build({
  entryPoints: [path.join(here, 'src/main.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  banner: { js: '#!/usr/bin/env node' },
  define: { 'process.env.WHARF_CLI_VERSION': JSON.stringify(version) },
  sourcemap: 'linked',
  legalComments: 'linked',
  logLevel: 'warning',
});
chmodSync(outfile, 0o755);
await build({
  entryPoints: [path.join(here, '../launcher/src/main.ts')],
  outfile: path.join(here, 'dist/launcher.cjs'),
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: 'linked',
  legalComments: 'linked',
  logLevel: 'warning',
});
