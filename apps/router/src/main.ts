import cluster from 'node:cluster';
import os from 'node:os';
import v8 from 'node:v8';
import { loadOrExit } from '@wharf/config';
import { createServiceLogger } from '@wharf/nats';
import { startRouter } from './bootstrap';
import { missingNodeFlags } from './node-flags';
import { loadRouterSettings, routerV8Flags } from './router.config';

/**
 * `Router.Workers` processes share the port (node:cluster); each is a full router with its own
 * NATS connection and memory, like separate replicas. The primary only starts and restarts them.
 */
async function main(): Promise<void> {
  const settings = loadOrExit('router', () => loadRouterSettings());
  const { router } = settings;
  const log = createServiceLogger('router', settings.platform);
  // read by V8 at each full collection, so setting it now applies from the first (see the setting)
  for (const flag of routerV8Flags(router)) v8.setFlagsFromString(flag);
  const missing = cluster.isPrimary ? missingNodeFlags() : [];
  if (missing.length > 0) {
    // workers inherit the primary's flags: said once
    log.warn(
      `started without node ${missing.join(' ')}: after every pause in traffic V8's memory reducer throws away the data path's optimized code, and the first seconds of traffic run slower ` +
        `(one-connection p99 +3 to +7 ms); start it as its image does: node ${missing.join(' ')} dist/main.js (apps/router/README.md, "Starting it")`,
    );
  }
  const workers = router.Workers === 0 ? os.availableParallelism() : router.Workers;
  const banner = `Router: ${router.Scheme}://${router.AppsDomain}:${router.Port} (instances at ${router.Scheme}://<id>.${router.AppsDomain}:${router.Port}${workers > 1 ? `, ${workers} workers` : ''})`;
  if (workers <= 1 || !cluster.isPrimary) {
    await startRouter(settings, { signals: true });
    if (cluster.isPrimary) log.info(banner);
    else process.send?.({ wharf: 'listening' });
    return;
  }
  // Workers accept connections themselves (the kernel spreads them) instead of the primary
  // accepting each one and passing it on: no primary in the data path, no per-connection cost there.
  cluster.schedulingPolicy = cluster.SCHED_NONE;
  let stopping = false;
  let ready = 0;
  const fork = () => {
    const w = cluster.fork();
    w.on('message', (m: { wharf?: string }) => {
      if (m?.wharf === 'listening' && ++ready === workers) log.info(banner);
    });
  };
  cluster.on('exit', (w, code, signal) => {
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
      return;
    }
    log.error(`router worker ${w.process.pid} exited (${signal ?? code}); starting another`);
    setTimeout(fork, 1000).unref();
  });
  const stop = () => {
    stopping = true;
    const alive = Object.values(cluster.workers ?? {});
    if (alive.length === 0) process.exit(0);
    for (const w of alive) w?.process.kill('SIGTERM');
    // each worker drains on its own (Platform.ShutdownDelaySeconds + ShutdownGraceSeconds)
    const { ShutdownDelaySeconds: delay, ShutdownGraceSeconds: grace } = settings.platform;
    setTimeout(() => process.exit(0), (delay + grace + 15) * 1000).unref();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  for (let i = 0; i < workers; i++) fork();
}

main().catch((e: unknown) => {
  console.error('router failed to start:', e instanceof Error ? e.message : e);
  process.exit(1);
});
