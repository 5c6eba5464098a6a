import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ephemeralPortRange, loopbackPortFree } from '@wharf/host';
import { RangeClaims } from './range-claims';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'wharf-claims-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const claims = (first = 100, last = 199) => {
  const c = new RangeClaims(path.join(dir, 'claims'), first, last, 'port of Scheduler.ProcessPortRange');
  c.init();
  return c;
};
const held = () => Object.fromEntries(readdirSync(path.join(dir, 'claims')).map((n) => [n, readFileSync(path.join(dir, 'claims', n), 'utf8')]));

describe('RangeClaims', () => {
  it('gives simultaneous claimers sharing the folder (two replicas) different numbers, each kept by its id', async () => {
    const [a, b] = [claims(), claims()];
    const ids = Array.from({ length: 40 }, (_, i) => `inst${String(i).padStart(6, '0')}`);
    const got = await Promise.all(ids.map((id, i) => (i % 2 ? a : b).claim(id, null)));
    expect(new Set(got).size).toBe(40);
    expect(got.filter((n) => n < 100 || n > 199)).toEqual([]);
    expect(Object.values(held()).sort()).toEqual([...ids].sort());
    // The same id asking again (a restart) keeps what it holds.
    expect(await a.claim(ids[0]!, got[0]!)).toBe(got[0]);
  });

  it('skips numbers refused by `usable` and gives them back; a second claim of one id is another number', async () => {
    const c = claims(100, 103);
    const first = await c.claim('aaaaaaaaaa', null, (n) => n === 102);
    expect(first).toBe(102);
    expect(held()).toEqual({ '102': 'aaaaaaaaaa' });
    const second = await c.claim('aaaaaaaaaa', null, (n) => n !== first);
    expect(second).not.toBe(102);
    expect(Object.keys(held()).sort()).toEqual([String(second), '102'].sort());
  });

  it('takes the former number again when it is free, another when someone else holds it', async () => {
    const c = claims();
    const n = await c.claim('aaaaaaaaaa', null);
    c.release(n, 'aaaaaaaaaa');
    expect(held()).toEqual({});
    expect(await c.claim('aaaaaaaaaa', n)).toBe(n);
    c.release(n, 'aaaaaaaaaa');
    await c.claim('bbbbbbbbbb', n); // someone else asks for it first
    expect(held()[String(n)]).toBe('bbbbbbbbbb');
    expect(await c.claim('aaaaaaaaaa', n)).not.toBe(n);
  });

  it("releases only the holder's numbers: release, releaseAll, sweep of instances that are gone", async () => {
    const c = claims();
    const a1 = await c.claim('aaaaaaaaaa', null);
    const a2 = await c.claim('aaaaaaaaaa', null, (n) => n !== a1);
    const b1 = await c.claim('bbbbbbbbbb', null);
    c.release(b1, 'aaaaaaaaaa'); // not a's
    expect(Object.keys(held())).toHaveLength(3);
    c.releaseAll('aaaaaaaaaa');
    expect(held()).toEqual({ [String(b1)]: 'bbbbbbbbbb' });
    await c.claim('cccccccccc', null);
    c.sweep((id) => id === 'cccccccccc');
    expect(Object.values(held())).toEqual(['cccccccccc']);
    expect(a2).not.toBe(a1);
  });

  it('says which range is full and how to fix it', async () => {
    const c = claims(100, 101);
    await c.claim('aaaaaaaaaa', null);
    await c.claim('bbbbbbbbbb', null);
    await expect(c.claim('cccccccccc', null)).rejects.toThrow('every port of Scheduler.ProcessPortRange (100-101) is taken; widen the range');
    expect(Object.keys(held())).toHaveLength(2);
  });

  it('with real ports: a port another program listens on is skipped and left unclaimed', async () => {
    const foreign = net.createServer();
    await new Promise<void>((r) => foreign.listen(0, '127.0.0.1', r));
    const busy = (foreign.address() as net.AddressInfo).port;
    try {
      const c = claims(busy, busy + 50);
      expect(await loopbackPortFree(busy)).toBe(false);
      const got = await c.claim('aaaaaaaaaa', busy, loopbackPortFree); // its former port, taken meanwhile
      expect(got).toBeGreaterThan(busy);
      expect(held()).toEqual({ [String(got)]: 'aaaaaaaaaa' });
      expect(existsSync(path.join(dir, 'claims', String(busy)))).toBe(false);
    } finally {
      foreign.close();
    }
  });
});

describe('ephemeralPortRange', () => {
  it("reads the kernel's range, and null where there is none", () => {
    const f = path.join(os.tmpdir(), `wharf-range-${process.pid}`);
    writeFileSync(f, '32768\t60999\n');
    try {
      expect(ephemeralPortRange(f)).toEqual([32768, 60999]);
    } finally {
      rmSync(f);
    }
    expect(ephemeralPortRange(path.join(dir, 'absent'))).toBeNull();
  });
});
