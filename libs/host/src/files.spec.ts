import { lstatSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chownTree } from './files';

const asRoot = process.getuid?.() === 0;

(asRoot ? describe : describe.skip)('chownTree', () => {
  it('re-owns a whole tree, and a symlink in it but never what the symlink points to', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'wharf-chown-'));
    const outside = path.join(dir, 'outside');
    writeFileSync(outside, 'the host');
    const tree = path.join(dir, 'tree');
    mkdirSync(path.join(tree, 'a', 'b'), { recursive: true });
    writeFileSync(path.join(tree, 'a', 'b', 'f'), 'x');
    symlinkSync(outside, path.join(tree, 'a', 'link'));
    try {
      await chownTree(tree, 200_123, 200_124);
      for (const p of [tree, path.join(tree, 'a'), path.join(tree, 'a', 'b'), path.join(tree, 'a', 'b', 'f')]) {
        expect([statSync(p).uid, statSync(p).gid]).toEqual([200_123, 200_124]);
      }
      expect(lstatSync(path.join(tree, 'a', 'link')).uid).toBe(200_123);
      expect(statSync(outside).uid).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
