import { loadPlatformConfig, loadSection, type PlatformConfig } from '@wharf/config';
import { z } from 'zod';
import { isCidr } from './proxy/hosts';

/** `[Router]` in wharf.toml; every key also as env `WHARF_ROUTER_<KEY>`. */
export const RouterConfigSchema = z.object({
  /** Where instance traffic arrives: `<Scheme>://<id>.<AppsDomain>:<Port>`. */
  Port: z.number().int().min(0).max(65535).default(8081),
  Host: z.string().default('127.0.0.1'),
  /** Instances are served at `<id>.<AppsDomain>` (must match Scheduler.AppsDomain and Gateway.AppsDomain). */
  AppsDomain: z
    .string()
    .regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/, 'must be a lower-case DNS name, e.g. apps.example.com')
    .default('apps.localhost'),
  /** How browsers reach instance hosts. `https` makes the router's cookie `__Host-` and `Secure`. */
  Scheme: z.enum(['http', 'https']).default('http'),
  /**
   * The port browsers reach instance hosts at (behind a proxy or ingress: its port, e.g. 443);
   * 0 = `Port`. Requests whose `Host` names another port are refused (421): browsers do not bind
   * cookies to ports. Same value as `Gateway.AppsPort` and `Scheduler.RouterPort`.
   */
  PublicPort: z.number().int().min(0).max(65535).default(0),
  /**
   * CIDRs instance addresses must lie in: the router proxies nowhere else (502 otherwise). The
   * process driver gives loopback addresses; the Kubernetes driver gives Service cluster IPs, so a
   * Kubernetes install sets its cluster's Service CIDR.
   */
  InstanceNetworks: z
    .array(z.string().refine(isCidr, 'must be a CIDR such as 127.0.0.0/8 or 10.42.0.0/16'))
    .min(1, 'name at least one network, e.g. ["127.0.0.0/8"]')
    .default(['127.0.0.0/8']),
  /** The gateway as browsers see it: unauthenticated visitors are sent to `<GatewayUrl>/auth/instance-ticket`. */
  GatewayUrl: z.url().default('http://127.0.0.1:8080'),
  /** Admins manage PRIVATE instances but open their UI only when this is true (privacy by default). */
  AdminsOpenPrivate: z.boolean().default(false),
  /** Serve PUBLIC instances to anonymous visitors. Off: PUBLIC behaves like ALL_USERS. */
  AllowPublic: z.boolean().default(false),
  /** How long an answer about a session, token or visitor grant is reused (every request is still checked against it). */
  AuthCacheMs: z.number().int().min(0).max(10_000).default(3000),
  /**
   * While the platform cannot be asked (the gateway restarting, NATS away), how much longer an
   * expired answer that said "valid" is used: callers already signed in keep their instances.
   * Never past the credential's own expiry, never after a revocation reached this router; 0: off.
   */
  AuthStaleIfErrorMs: z.number().int().min(0).max(600_000).default(30_000),
  /** How often cached instance records are refreshed from the scheduler (events keep them current in between). */
  ResyncSeconds: z.number().int().min(1).max(3600).default(10),
  /** Timeout of the router's NATS lookups; past it (or with NATS down) the answer is 503 + Retry-After. */
  LookupTimeoutMs: z.number().int().min(100).max(60_000).default(2000),
  /** Processes serving the port (node:cluster); 0 = one per CPU. */
  Workers: z.number().int().min(0).max(64).default(1),
  /** Largest request head (request line + headers) accepted, in bytes; larger ones get 431. */
  MaxHeaderBytes: z.number().int().min(1024).max(1024 * 1024).default(16 * 1024),
  /** Time a client may take to send its request head. */
  HeadersTimeoutSeconds: z.number().int().min(1).max(3600).default(60),
  /** Time a client may take to send a whole request (0 = no limit: uploads stream). */
  RequestTimeoutSeconds: z.number().int().min(0).max(86_400).default(0),
  /**
   * Idle keep-alive connections from clients are closed after this: longer than a load balancer's
   * or ingress's idle timeout (often 60 s), so the proxy in front, not the router, closes first.
   */
  KeepAliveTimeoutSeconds: z.number().int().min(1).max(3600).default(65),
  /** An instance that sends nothing for this long gets its request answered 504 (0 = wait forever). */
  UpstreamTimeoutSeconds: z.number().int().min(0).max(86_400).default(300),
  /**
   * After each full garbage collection, V8 lets the heap grow by this percentage of what is live
   * before the next (0: V8's own choice). The router allocates little that lives, but a buffer
   * per chunk it forwards; with V8's own choice, which leaves a process that allocates so little
   * on its heap little headroom, a stream of large answers could bring a full collection every
   * ~0.1 s, each pausing every request for 5-30 ms (bench/README.md). At 200 the router's ~25 MB of
   * live objects leave ~50 MB of headroom: a higher but steadier heap.
   */
  HeapGrowingPercent: z.number().int().min(0).max(1000).default(200),
  /** Open keep-alive connections the router holds per instance. */
  UpstreamMaxSockets: z.number().int().min(1).max(100_000).default(512),
  /** Lifetime of the X-Wharf-Identity token given to apps. */
  IdentityTokenTtlSeconds: z.number().int().min(10).max(3600).default(60),
  /** How often the instances that served traffic are reported to the scheduler (their lastActivityAt). */
  ActivityReportSeconds: z.number().int().min(1).max(3600).default(30),
  /** Keep incoming X-Forwarded-* headers (only behind a proxy that sets them); off: the router sets its own. */
  TrustForwardedHeaders: z.boolean().default(false),
});
export type RouterConfig = z.output<typeof RouterConfigSchema>;

export interface RouterSettings {
  platform: PlatformConfig;
  router: RouterConfig;
}

export const ROUTER_SETTINGS = Symbol('ROUTER_SETTINGS');

/** V8 flags the router sets for itself at start (`HeapGrowingPercent`), none when left to V8. */
export function routerV8Flags(router: Pick<RouterConfig, 'HeapGrowingPercent'>): string[] {
  return router.HeapGrowingPercent > 0 ? [`--heap-growing-percent=${router.HeapGrowingPercent}`] : [];
}

export function loadRouterSettings(env: NodeJS.ProcessEnv = process.env): RouterSettings {
  const platform = loadPlatformConfig(env);
  const router = loadSection('Router', RouterConfigSchema, env);
  return { platform, router: { ...router, AllowPublic: router.AllowPublic || platform.AllowPublic === true } };
}
