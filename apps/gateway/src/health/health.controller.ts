import { Controller, Get, HttpException } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { RpcClient, Shutdown } from '@wharf/nats';
import { AllowAnonymous } from '../auth/auth.guard';
import { PrismaService } from '../prisma/prisma.service';

@ApiExcludeController()
@AllowAnonymous()
@Controller()
export class HealthController {
  constructor(
    private readonly prisma: PrismaService,
    private readonly rpc: RpcClient,
    private readonly shutdown: Shutdown,
  ) {}

  @Get('healthz')
  healthz() {
    return { status: 'ok' };
  }

  @Get('readyz')
  async readyz() {
    if (this.shutdown.draining) throw new HttpException({ message: 'shutting down', checks: { shutdown: 'draining' } }, 503);
    const database = await this.prisma.$queryRaw`SELECT 1`.then(() => 'ok', (e: Error) => e.message);
    const checks = { database, nats: this.rpc.isConnected() ? 'ok' : 'disconnected' };
    if (Object.values(checks).some((v) => v !== 'ok')) throw new HttpException({ message: 'not ready', checks }, 503);
    return { status: 'ok', checks };
  }
}
