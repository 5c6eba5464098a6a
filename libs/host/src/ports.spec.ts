import net from 'node:net';
import { freeLoopbackPort, loopbackPortFree } from './ports';

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

  it('loopbackPortFree: true for a port nobody listens on, false once someone does', async () => {
    const port = await freeLoopbackPort();
    expect(await loopbackPortFree(port)).toBe(true);
    const taken = await listen(port);
    try {
      expect(await loopbackPortFree(port)).toBe(false);
    } finally {
      taken.close();
    }
  });

});
