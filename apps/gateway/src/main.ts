import { loadOrExit } from '@wharf/config';
import { startGateway } from './bootstrap';
import { loadGatewaySettings } from './gateway.config';

async function main(): Promise<void> {
  const settings = loadOrExit('gateway', () => loadGatewaySettings());
  const { adminToken } = await startGateway(settings);
  const { Host, Port } = settings.gateway;
  console.log(`Gateway: http://${Host}:${Port}`);
  // Printed once, on the start that created it; only its hash is stored.
  if (adminToken) console.log(`Admin token: ${adminToken}`);
}

main().catch((e: unknown) => {
  console.error('gateway failed to start:', e instanceof Error ? e.message : e);
  process.exit(1);
});
