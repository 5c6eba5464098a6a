import net from 'node:net';
import { freeLoopbackPort } from './ports';

const listen = (port: number) =>
  new Promise<net.Server>((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(port, '127.0.0.1', () => resolve(s));
  });

describe('freeLoopbackPort', () => {
  it('answers a port one can listen on', async () => {
    const port = await freeLoopbackPort();
    (await listen(port)).close();
  });

  it('keeps the preferred port while it is free, picks another once it is taken', async () => {
    const port = await freeLoopbackPort();
    expect(await freeLoopbackPort(port)).toBe(port);
    const taken = await listen(port);
    try {
      const other = await freeLoopbackPort(port);
      expect(other).not.toBe(port);
      expect(other).toBeGreaterThan(0);
    } finally {
      taken.close();
    }
  });
});
