import { loadOrExit } from '@wharf/config';
import { gracefulShutdown, natsServersOf, ServiceLogger } from '@wharf/nats';
import { startGateway } from './bootstrap';
import { loadGatewaySettings } from './gateway.config';

async function main(): Promise<void> {
  const settings = loadOrExit('gateway', () => loadGatewaySettings());
  const { app, adminToken } = await startGateway(settings);
  // SIGTERM: readiness false, drain requests and NATS handlers, then close (docs/operations.md)
  gracefulShutdown(app, settings.platform, { http: app.getHttpServer(), nats: natsServersOf(app) });
  const { Host, Port } = settings.gateway;
  app.get(ServiceLogger).log(`Gateway: http://${Host}:${Port}`);
  // Printed once, on the start that created it (never when Gateway.BootstrapAdminToken is set);
  // only its hash is stored. The one secret Wharf ever writes to its output, on purpose, as a
  // plain line: `pnpm start` takes it into its banner, on Kubernetes it is in the gateway's log.
  if (adminToken) console.log(`Admin token: ${adminToken}`);
}

main().catch((e: unknown) => {
  console.error('gateway failed to start:', e instanceof Error ? e.message : e);
  process.exit(1);
});
