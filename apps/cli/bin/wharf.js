#!/usr/bin/env node
// The `wharf` command: the CLI is bundled into dist/wharf.cjs by its build (`pnpm --filter @wharf/cli build`).
try {
  require.resolve('../dist/wharf.cjs');
} catch {
  process.stderr.write('error: the wharf CLI is not built: run `pnpm --filter @wharf/cli build` (or `pnpm build`) in the Wharf repository\n');
  process.exit(1);
}
require('../dist/wharf.cjs').main();
