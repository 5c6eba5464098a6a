import { chmodSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { Logger } from '@nestjs/common';

export interface CacheSweeperOptions {
  /** `<DataDir>/bundles`: bundles unpacked once per sha256. */
  bundles: string;
  /** `<DataDir>/venvs`: one venv per (bundle sha256, runtime). */
  venvs: string;
  /** Entries no instance refers to are removed after this long unused. */
  keepMs: number;
  /** How often `sweepIfDue` sweeps. */
  everyMs: number;
}

/**
 * The process driver's shared caches (unpacked bundles and venvs, filled by the launchers). Removes
 * unpacked bundles (`bundles/<sha256>`) and venvs (`venvs/<sha256>-<runtime>`) that no instance
 * folder refers to (suspended and failed instances keep theirs: they may resume) and that nobody
 * used for `keepMs` (launchers touch what they use), plus leftovers of builds that died (older than
 * an hour). An entry is renamed away before it is deleted, so a launcher sees it whole or not at
 * all (and then fetches the bundle itself).
 */
export class CacheSweeper {
  private readonly log = new Logger('ProcessDriver');
  private lastSweep = 0;

  constructor(private readonly o: CacheSweeperOptions) {}

  init(): void {
    mkdirSync(this.o.venvs, { recursive: true, mode: 0o700 });
    mkdirSync(this.o.bundles, { recursive: true, mode: 0o700 });
  }

  /** Sweeps when the last sweep is `everyMs` ago; `inUse` answers the bundle sha256s instances refer to. True when it swept. */
  sweepIfDue(inUse: () => Set<string>): boolean {
    if (Date.now() - this.lastSweep < this.o.everyMs) return false;
    this.lastSweep = Date.now();
    this.sweep(inUse());
    return true;
  }

  sweep(used: Set<string>): void {
    const now = Date.now();
    for (const dir of [this.o.bundles, this.o.venvs]) {
      let names: string[];
      try {
        names = readdirSync(dir);
      } catch {
        continue;
      }
      for (const name of names) {
        const full = path.join(dir, name);
        // <sha>[-runtime] (entries), .tmp-<sha>…, <sha>.tmp-…, bundle-<hex>.zip, .trash-… (leftovers)
        const m = /^\.?(?:tmp-)?([0-9a-f]{64})/.exec(name);
        const leftover = name.includes('.tmp-') || name.startsWith('.') || /^bundle-[0-9a-f]+\.zip$/.test(name);
        if ((!m && !leftover) || name.endsWith('.lock') || existsSync(`${full}.lock`)) continue;
        if (!leftover && used.has(m![1]!)) continue;
        try {
          if (now - statSync(full).mtimeMs < (leftover ? 3600_000 : this.o.keepMs)) continue;
          const trash = path.join(dir, `.trash-${process.pid}-${now}-${name.slice(0, 16)}`);
          renameSync(full, trash);
          removeTree(trash);
          this.log.log(`removed the cached ${dir === this.o.venvs ? 'venv' : 'bundle'} ${name} (no instance uses it)`);
        } catch (e) {
          this.log.warn(`cache sweep: ${full}: ${e instanceof Error ? e.message : String(e)}`);
        }
      }
    }
  }
}

/** rm -rf that also removes read-only trees (venvs are made read-only once built). */
function removeTree(dir: string): void {
  const writable = (d: string) => {
    chmodSync(d, 0o700);
    for (const e of readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) writable(path.join(d, e.name));
  };
  try {
    writable(dir);
  } catch {
    /* rmSync reports what is left */
  }
  rmSync(dir, { recursive: true, force: true });
}
