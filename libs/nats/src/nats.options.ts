import { natsInboxPrefix } from '@wharf/contracts';

export const NATS_OPTIONS = Symbol('NATS_OPTIONS');

export interface NatsOptions {
  /** Service name: the queue group its handlers subscribe in, so N replicas share the load. */
  service: string;
  servers: string[];
  requestTimeoutMs: number;
  /** Platform.InternalSecret: signs the caller assertions of requests and verifies those received. */
  secret: string;
  /** This service's NATS user and password (Platform.NatsUser / NatsPassword); none on an open NATS. */
  user?: string;
  password?: string;
  /** Platform.MetricsToken: who may read `/metrics` (empty: callers on this machine only). */
  metricsToken?: string;
}

/** The `[Platform]` keys a NATS connection needs (a subset of PlatformConfig). */
export interface NatsPlatform {
  NatsUrl: string;
  RequestTimeoutMs: number;
  InternalSecret: string;
  NatsUser?: string | undefined;
  NatsPassword?: string | undefined;
  /** Who may read `/metrics` (Bearer); empty: callers on this machine only. */
  MetricsToken?: string | undefined;
}

export function natsOptions(service: string, platform: NatsPlatform): NatsOptions {
  return {
    service,
    servers: splitServers(platform.NatsUrl),
    requestTimeoutMs: platform.RequestTimeoutMs,
    secret: platform.InternalSecret,
    metricsToken: platform.MetricsToken ?? '',
    ...(platform.NatsUser ? { user: platform.NatsUser, password: platform.NatsPassword ?? '' } : {}),
  };
}

/** Options of a NATS connection: who we are (user/password), and our own reply inbox. */
export function natsConnectionOptions(options: Pick<NatsOptions, 'service' | 'servers' | 'user' | 'password'>) {
  return {
    servers: options.servers,
    inboxPrefix: natsInboxPrefix(options.service),
    ...(options.user ? { user: options.user, pass: options.password ?? '' } : {}),
  };
}

export const splitServers = (url: string): string[] =>
  url
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
