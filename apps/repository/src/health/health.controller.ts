import { Controller, Get, HttpException, Inject } from '@nestjs/common';
import { RpcClient, Shutdown } from '@wharf/nats';
import { BLOB_STORE, type BlobStore } from '../blobs/blob-store';
import { PrismaService } from '../prisma/prisma.service';

@Controller()
export class HealthController {
  constructor(
    private readonly prisma: PrismaService,
    private readonly rpc: RpcClient,
    private readonly shutdown: Shutdown,
    @Inject(BLOB_STORE) private readonly blobs: BlobStore,
  ) {}

  /** Liveness: the process answers. */
  @Get('healthz')
  healthz() {
    return { status: 'ok' };
  }

  /** Readiness: Postgres, NATS and the blob store all answer, and the service is not shutting down. */
  @Get('readyz')
  async readyz() {
    if (this.shutdown.draining) throw new HttpException({ message: 'shutting down', checks: { shutdown: 'draining' } }, 503);
    const checks = await Promise.all([
      this.prisma.$queryRaw`SELECT 1`.then(() => ['database', 'ok'], (e: Error) => ['database', e.message]),
      Promise.resolve(['nats', this.rpc.isConnected() ? 'ok' : 'disconnected']),
      this.blobs.ping().then(() => ['blobs', 'ok'], (e: Error) => ['blobs', e.message]),
    ]);
    const result = Object.fromEntries(checks) as Record<string, string>;
    const ok = Object.values(result).every((v) => v === 'ok');
    if (!ok) throw new HttpException({ message: 'not ready', checks: result }, 503);
    return { status: 'ok', checks: result };
  }
}
