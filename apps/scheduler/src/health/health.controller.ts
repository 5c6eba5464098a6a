import { Controller, Get, HttpException, Inject } from '@nestjs/common';
import { RpcClient, Shutdown } from '@wharf/nats';
import { INSTANCE_DRIVER, type InstanceDriver } from '../drivers/instance-driver';
import { LEASE_STORE, type LeaseStore } from '../leases/lease.store';

@Controller()
export class HealthController {
  constructor(
    private readonly rpc: RpcClient,
    private readonly shutdown: Shutdown,
    @Inject(LEASE_STORE) private readonly leases: LeaseStore,
    @Inject(INSTANCE_DRIVER) private readonly driver: InstanceDriver,
  ) {}

  /** Liveness: the process answers. */
  @Get('healthz')
  healthz() {
    return { status: 'ok' };
  }

  /** Readiness: NATS, the lease bucket (JetStream) and the driver answer, and the service is not shutting down. */
  @Get('readyz')
  async readyz() {
    if (this.shutdown.draining) throw new HttpException({ message: 'shutting down', checks: { shutdown: 'draining' } }, 503);
    const checks: Record<string, string> = {
      nats: this.rpc.isConnected() ? 'ok' : 'disconnected',
      leases: (await this.leases.ping()) ? 'ok' : 'unreachable',
      driver: (await this.driver.ping()) ? 'ok' : 'not ready',
    };
    if (Object.values(checks).some((v) => v !== 'ok')) throw new HttpException({ message: 'not ready', checks }, 503);
    return { status: 'ok', checks };
  }
}
