import net from 'node:net';

/**
 * A free TCP port on loopback (bound, then released). With `prefer`: that port when it is still
 * free (a resumed instance keeps its address), else any.
 */
export function freeLoopbackPort(prefer?: number): Promise<number> {
  const attempt = (port: number) =>
    new Promise<number>((resolve, reject) => {
      const s = net.createServer();
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => {
        const { port: bound } = s.address() as net.AddressInfo;
        s.close(() => resolve(bound));
      });
    });
  return prefer ? attempt(prefer).catch(() => attempt(0)) : attempt(0);
}
