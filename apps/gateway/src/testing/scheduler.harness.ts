import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { NestFactory } from '@nestjs/core';
import { connectNats } from '@wharf/nats';
// The scheduler is another app: specs run it in-process behind the gateway, over real NATS.
import { ALIAS_STORE, type KvAliasStore } from '../../../scheduler/src/aliases/kv-alias.store';
import { SchedulerModule } from '../../../scheduler/src/app.module';
import { loadSchedulerSettings } from '../../../scheduler/src/scheduler.config';
import { GATEWAY_SETTINGS, type GatewaySettings } from '../gateway.config';
import { startGatewayWithRepository, type GatewayWithRepository } from './repository.harness';

export interface GatewayWithScheduler extends GatewayWithRepository {
  /** The scheduler's data dir (instances, `secrets.json`). */
  schedulerDataDir: string;
}

/**
 * A gateway with a real repository (see startGatewayWithRepository) and a real scheduler on the
 * same NATS: the process driver and the file secret store, no warm launchers. `name` names the
 * database and the lease bucket.
 */
export async function startGatewayWithScheduler(name: string): Promise<GatewayWithScheduler> {
  const sys = await startGatewayWithRepository(name);
  const { platform } = sys.h.app.get<GatewaySettings>(GATEWAY_SETTINGS);
  const schedulerDataDir = mkdtempSync(path.join(os.tmpdir(), `${name.replace(/_/g, '-')}-scheduler-`));
  const settings = loadSchedulerSettings({
    NATS_URL: platform.NatsUrl,
    WHARF_DATA_DIR: schedulerDataDir,
    WHARF_PLATFORM_INTERNAL_SECRET: platform.InternalSecret,
    WHARF_PLATFORM_LOG_LEVEL: 'warn',
    WHARF_SCHEDULER_PORT: '0',
    WHARF_SCHEDULER_PROCESS_STANDBY_LAUNCHERS: '0',
    WHARF_SCHEDULER_LEASE_BUCKET: `${name.replace(/_/g, '-')}-leases`,
    // aliases are names anyone could reuse: a fresh table per run, removed on close
    WHARF_SCHEDULER_ALIAS_BUCKET: `${name.replace(/_/g, '-')}-aliases-${randomBytes(4).toString('hex')}`,
  });
  const scheduler = await NestFactory.create(SchedulerModule.forRoot(settings), { logger: ['error'] });
  await connectNats(scheduler);
  await scheduler.init();
  return {
    ...sys,
    schedulerDataDir,
    close: async () => {
      await scheduler.get<KvAliasStore>(ALIAS_STORE).destroy().catch(() => undefined);
      await scheduler.close();
      await sys.close();
      rmSync(schedulerDataDir, { recursive: true, force: true });
    },
  };
}
