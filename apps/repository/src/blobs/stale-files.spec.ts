import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isStale, OWNER, STALE_AFTER_MS, sweepStale } from './stale-files';

describe('temporary files of interrupted imports', () => {
  const host = OWNER.split('@')[1]!;
  // a pid that ran on this machine and is gone: a child that has exited
  const gone = spawnSync(process.execPath, ['-e', '0']).pid!;

  it('knows a leftover of a process of this machine that is gone, or of this pid before this start', () => {
    expect(isStale(`.x.zip.${gone}@${host}.abcdefabcdef.part`, Date.now())).toBe(true);
    expect(isStale(`.x.zip.${process.pid}@${host}.abcdefabcdef.part`, Date.now())).toBe(true);
  });

  it('leaves what a live process of this machine is writing', () => {
    expect(isStale(`.x.zip.${process.ppid}@${host}.abcdefabcdef.part`, 0)).toBe(false);
  });

  it("judges another machine's files (a shared folder) and unmarked ones by age only", () => {
    expect(isStale(`.x.zip.${gone}@00000000.abcdefabcdef.part`, Date.now())).toBe(false);
    expect(isStale('.x.zip.abcdefabcdef.part', Date.now())).toBe(false);
    expect(isStale('.x.zip.abcdefabcdef.part', Date.now() - STALE_AFTER_MS - 1000)).toBe(true);
  });

  it('sweeps only the stale temporary files, however deep', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'stale-'));
    try {
      mkdirSync(path.join(dir, 'bundles'), { recursive: true });
      const files = {
        dead: `bundles/.a.zip.${gone}@${host}.aaaaaaaaaaaa.part`,
        live: `bundles/.b.zip.${process.ppid}@${host}.bbbbbbbbbbbb.part`,
        old: 'bundles/.c.zip.cccccccccccc.part',
        blob: 'bundles/d.zip',
      };
      for (const f of Object.values(files)) writeFileSync(path.join(dir, f), 'x');
      const longAgo = new Date(Date.now() - STALE_AFTER_MS - 60_000);
      utimesSync(path.join(dir, files.old), longAgo, longAgo);
      utimesSync(path.join(dir, files.blob), longAgo, longAgo);
      expect(await sweepStale(dir, (n) => n.endsWith('.part'))).toBe(2);
      expect(readdirSync(path.join(dir, 'bundles')).sort()).toEqual([path.basename(files.live), 'd.zip'].sort());
      expect(await sweepStale(path.join(dir, 'missing'), () => true)).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
