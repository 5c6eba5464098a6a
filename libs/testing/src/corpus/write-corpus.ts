import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { buildBundle } from '../bundle-builder';
import { BAD_BUNDLES } from './bad-bundles';

/**
 * Writes every corpus bundle as `<id>.zip` (plus `valid.zip`) into the folder given
 * as the first argument, for trying uploads by hand:
 *
 *   node libs/testing/dist/corpus/write-corpus.js /tmp/bad
 *   curl -H "authorization: Bearer $WHARF_TOKEN" -H 'content-type: application/zip' \
 *        --data-binary @/tmp/bad/zip-slip.zip http://127.0.0.1:8080/api/v1/bundles
 */
export async function main(argv: string[] = process.argv.slice(2)): Promise<number> {
  const dir = argv[0];
  if (!dir) {
    process.stderr.write('usage: node libs/testing/dist/corpus/write-corpus.js <output-folder>\n');
    return 2;
  }
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'valid.zip'), await buildBundle({ screenshots: 2, longDescription: '# Hello\n\nA tiny app.\n' }));
  for (const bad of BAD_BUNDLES) {
    const file = path.join(dir, `${bad.id}.zip`);
    await writeFile(file, await bad.build());
    process.stdout.write(`${file}\t${bad.description}\n`);
  }
  return 0;
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (e: unknown) => {
      process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exit(1);
    },
  );
}
