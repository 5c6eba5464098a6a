export const NATS_OPTIONS = Symbol('NATS_OPTIONS');

export interface NatsOptions {
  /** Service name: the queue group its handlers subscribe in, so N replicas share the load. */
  service: string;
  servers: string[];
  requestTimeoutMs: number;
}

export const splitServers = (url: string): string[] =>
  url
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
