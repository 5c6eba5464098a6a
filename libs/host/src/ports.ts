import { readFileSync } from 'node:fs';
import net from 'node:net';

/**
 * A free TCP port on loopback (bound, then released). It lies in the kernel's ephemeral range
 * (see `ephemeralPortRange`): any connection may take it before whoever it is for listens.
 */
export function freeLoopbackPort(): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** True when nothing listens on `port` of loopback now (it can be bound, and is let go at once). */
export function loopbackPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/**
 * The ports the kernel gives to outgoing connections and to `listen(0)` (Linux:
 * net.ipv4.ip_local_port_range), or null where that cannot be read. A port found free in this
 * range may be taken by any connection a moment later, so ports that must stay free until a
 * child process listens on them are taken from outside it.
 */
export function ephemeralPortRange(file = '/proc/sys/net/ipv4/ip_local_port_range'): [number, number] | null {
  try {
    const [a, b] = readFileSync(file, 'utf8').trim().split(/\s+/).map(Number);
    return Number.isInteger(a) && Number.isInteger(b) ? [a!, b!] : null;
  } catch {
    return null;
  }
}
