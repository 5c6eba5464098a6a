import { Controller, Get, HttpCode, Inject, Param, Post, Req, Res, type OnApplicationShutdown } from '@nestjs/common';
import {
  INSTANCE_ID_PATTERN,
  INTERNAL_TOKEN_HEADER,
  instanceLogsScope,
  instanceStatusScope,
  invalidInput,
  KeepAliveRequestSchema,
  LauncherStatusReportSchema,
  notFound,
  unauthenticated,
  verifyInternalToken,
  zodProblems,
} from '@wharf/contracts';
import { Shutdown } from '@wharf/nats';
import type { Request, Response } from 'express';
import { z } from 'zod';
import { SCHEDULER_SETTINGS, type SchedulerSettings } from '../scheduler.config';
import { InstanceService } from './instance.service';
import { InstanceSupervisor } from './instance.supervisor';

/** Repeated parameters (`?follow=1&follow=1`) count by their last value. */
const last = (v: unknown) => (Array.isArray(v) ? v[v.length - 1] : v);
const LogsQuerySchema = z.object({
  follow: z.preprocess(last, z.enum(['0', '1', 'true', 'false']).default('0')).transform((v) => v === '1' || v === 'true'),
  tail: z.preprocess(last, z.coerce.number().int().min(0).max(10_000).default(200)),
});

/**
 * The scheduler's internal HTTP port, never exposed to users. Launchers report their steps here;
 * the gateway proxies log streams from here. Both present an `x-wharf-internal-token` signed with
 * the platform's internal secret, scoped to one instance.
 */
@Controller('internal/instances')
export class InternalController implements OnApplicationShutdown {
  /** Open log follows, ended at shutdown so that the HTTP server can close. */
  private readonly follows = new Set<AbortController>();

  constructor(
    private readonly instances: InstanceService,
    private readonly supervisor: InstanceSupervisor,
    @Inject(SCHEDULER_SETTINGS) private readonly settings: SchedulerSettings,
    private readonly shutdown: Shutdown,
  ) {}

  private checkId(id: string): void {
    if (!INSTANCE_ID_PATTERN.test(id)) throw notFound(`instance ${id} not found`);
  }

  /** A launcher's request body, checked against `schema`, with the status token of its instance and generation. */
  private fromLauncher<S extends z.ZodType<{ generation: number }>>(id: string, req: Request, schema: S, what: string): z.output<S> {
    const body = schema.safeParse(req.body);
    if (!body.success) throw invalidInput(what, zodProblems(body.error));
    if (!verifyInternalToken(this.settings.platform.InternalSecret, req.header(INTERNAL_TOKEN_HEADER), instanceStatusScope(id, body.data.generation))) {
      throw unauthenticated(`missing or invalid ${INTERNAL_TOKEN_HEADER} for instance ${id}`);
    }
    return body.data;
  }

  /** `POST /internal/instances/:id/status` `{ generation, status, reason }`, token scope `instance:status:<id>:<generation>`. */
  @Post(':id/status')
  @HttpCode(204)
  async status(@Param('id') id: string, @Req() req: Request): Promise<void> {
    this.checkId(id);
    const report = this.fromLauncher(id, req, LauncherStatusReportSchema, 'invalid status report');
    await this.supervisor.reportStatus(id, report);
  }

  /**
   * `POST /internal/instances/:id/keep-alive` `{ generation, minutes }`, with the launcher's status
   * token (scope `instance:status:<id>:<generation>`): the app's keep-alive lease, relayed by its
   * launcher from the app's control socket. `minutes: 0` ends it. Answers `{ until }`.
   */
  @Post(':id/keep-alive')
  @HttpCode(200)
  async keepAlive(@Param('id') id: string, @Req() req: Request): Promise<{ until: string | null }> {
    this.checkId(id);
    const { generation, minutes } = this.fromLauncher(id, req, KeepAliveRequestSchema, 'invalid keep-alive request');
    return this.supervisor.keepAlive(id, generation, minutes);
  }

  /**
   * `GET /internal/instances/:id/logs?tail=N[&follow=1]`, token from
   * `signInternalToken(secret, caller, 'logs:<id>')`: the caller must be allowed to see the logs
   * (owner, admin, or the app version's owner). Plain text; with follow, a chunked stream that
   * ends when the client leaves or the instance is terminated.
   */
  @Get(':id/logs')
  async logs(@Param('id') id: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    this.checkId(id);
    const claims = verifyInternalToken(this.settings.platform.InternalSecret, req.header(INTERNAL_TOKEN_HEADER), instanceLogsScope(id));
    if (!claims) throw unauthenticated(`missing or invalid ${INTERNAL_TOKEN_HEADER} for the logs of ${id}`);
    const q = LogsQuerySchema.safeParse(req.query);
    if (!q.success) throw invalidInput('invalid log query', zodProblems(q.error));
    await this.instances.authorizeLogs(claims.caller, id);
    res.status(200);
    res.setHeader('content-type', 'text/plain; charset=utf-8');
    res.setHeader('cache-control', 'no-store');
    res.setHeader('x-accel-buffering', 'no');
    if (!q.data.follow) {
      const { lines } = await this.instances.logs(claims.caller, id, Math.max(1, q.data.tail));
      res.end(lines.length ? `${lines.join('\n')}\n` : '');
      return;
    }
    res.flushHeaders();
    const abort = new AbortController();
    this.follows.add(abort);
    // a stopping scheduler ends its follows at once: the client follows again through another replica
    const forget = this.shutdown.endless(() => abort.abort());
    res.on('close', () => abort.abort());
    try {
      for await (const chunk of this.instances.followLogs(id, q.data.tail, abort.signal)) {
        if (!res.write(chunk)) await new Promise<void>((r) => res.once('drain', () => r()));
      }
    } finally {
      this.follows.delete(abort);
      forget();
      if (!res.writableEnded) res.end();
    }
  }

  onApplicationShutdown(): void {
    for (const f of this.follows) f.abort();
  }
}
