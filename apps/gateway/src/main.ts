import { loadOrExit } from '@wharf/config';
import { gracefulShutdown, natsServersOf } from '@wharf/nats';
import { startGateway } from './bootstrap';
import { loadGatewaySettings } from './gateway.config';

async function main(): Promise<void> {
  const settings = loadOrExit('gateway', () => loadGatewaySettings());
  const { app, adminToken } = await startGateway(settings);
  // SIGTERM: readiness false, drain requests and NATS handlers, then close (docs/operations.md)
  gracefulShutdown(app, settings.platform, { http: app.getHttpServer(), nats: natsServersOf(app) });
  const { Host, Port } = settings.gateway;
  console.log(`Gateway: http://${Host}:${Port}`);
  // Printed once, on the start that created it; only its hash is stored.
  if (adminToken) console.log(`Admin token: ${adminToken}`);
}

main().catch((e: unknown) => {
  console.error('gateway failed to start:', e instanceof Error ? e.message : e);
  process.exit(1);
});
