import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { INSTANCE_ID_PATTERN } from '@wharf/contracts';

/**
 * Numbers from `[first, last]` held by instances, one file `<dir>/<n>` holding the instance id,
 * created exclusively: simultaneous claims on every replica sharing the data dir get different
 * numbers. The caller says how long a claim lasts: a uid for the instance's life (its files belong
 * to it), a port while its launcher runs. `sweep` frees the claims of instances that are gone
 * without saying so. Used for the sandbox uids (`Scheduler.ProcessUidRange`) and the
 * launchers' ports (`Scheduler.ProcessPortRange`).
 */
export class RangeClaims {
  constructor(
    private readonly dir: string,
    private readonly first: number,
    private readonly last: number,
    /** For the error when the range is full: e.g. `uid of Scheduler.ProcessUidRange`. */
    private readonly what: string,
  ) {}

  init(): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
  }

  /**
   * `known` when `id` still holds it, else a new claim, starting at a point derived from the id so
   * that claims rarely collide. `usable` may refuse a number (say, a port some other program
   * listens on): that claim is given back and the next one tried.
   */
  async claim(id: string, known: number | null, usable: (n: number) => boolean | Promise<boolean> = () => true): Promise<number> {
    if (known !== null && this.owner(known) === id && (await usable(known))) return known;
    const size = this.last - this.first + 1;
    let h = 0;
    for (const c of id) h = (h * 31 + c.charCodeAt(0)) >>> 0;
    // Its former number first, when it is free again (its files belong to that uid already).
    const start = known !== null && known >= this.first && known <= this.last ? known - this.first : h;
    for (let i = 0; i < size; i++) {
      const n = this.first + ((start + i) % size);
      const file = path.join(this.dir, String(n));
      let held = false; // by `id` already: kept even when refused (say, its second port)
      try {
        const fd = openSync(file, 'wx', 0o600);
        writeSync(fd, id);
        closeSync(fd);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        if (this.owner(n) !== id) continue;
        held = true;
      }
      if (await usable(n)) return n;
      if (!held) rmSync(file, { force: true });
    }
    throw new Error(`every ${this.what} (${this.first}-${this.last}) is taken; widen the range`);
  }

  /** Frees `n` if `id` holds it. */
  release(n: number, id: string): void {
    if (this.owner(n) === id) rmSync(path.join(this.dir, String(n)), { force: true });
  }

  /** Frees every number `id` holds. */
  releaseAll(id: string): void {
    for (const n of this.names()) if (this.owner(Number(n)) === id) rmSync(path.join(this.dir, n), { force: true });
  }

  /** Frees the numbers of instances that no longer exist (`alive(id)` false). */
  sweep(alive: (id: string) => boolean): void {
    for (const n of this.names()) {
      const id = this.owner(Number(n));
      if (id !== null && INSTANCE_ID_PATTERN.test(id) && !alive(id)) rmSync(path.join(this.dir, n), { force: true });
    }
  }

  private names(): string[] {
    try {
      return readdirSync(this.dir).filter((n) => /^\d+$/.test(n));
    } catch {
      return [];
    }
  }

  private owner(n: number): string | null {
    try {
      return readFileSync(path.join(this.dir, String(n)), 'utf8').trim();
    } catch {
      return null;
    }
  }
}
