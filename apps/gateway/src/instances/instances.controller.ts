import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import {
  InstanceListRequestSchema,
  InstanceSchema,
  instanceLogsScope,
  RuntimeNameSchema,
  RuntimeVersionSchema,
  SchedulerContracts as S,
  VisibilitySchema,
  WharfError,
  type Caller,
} from '@wharf/contracts';
import { RpcClient, Shutdown } from '@wharf/nats';
import type { Request, Response } from 'express';
import { z } from 'zod';
import { InternalHttpClient } from '../bundles/internal-http.client';
import { CurrentCaller } from '../auth/auth.guard';
import { ApiBodyOf, ApiErrorsOf, ApiQueryOf, ApiResponseOf, namedPageOf, parseOrThrow } from '../openapi/zod-openapi';

const RunSchema = z
  .object({
    visibility: VisibilitySchema.default('PRIVATE'),
    runtime: RuntimeNameSchema.optional(),
    idempotencyKey: z.string().min(1).max(128).optional(),
  })
  .strict()
  .meta({ id: 'InstanceRun' });
const PatchInstanceSchema = z
  .object({
    /** Who may open it (owner and admins). */
    visibility: VisibilitySchema.optional(),
    /** Admins only: false keeps it running however long nobody uses it; true applies the app's (or the platform's) idle timeout again. */
    idleSuspend: z.boolean().optional(),
  })
  .strict()
  .refine((b) => b.visibility !== undefined || b.idleSuspend !== undefined, { message: 'name what to change: `visibility` and/or `idleSuspend`' })
  .meta({ id: 'InstancePatch' });
const UpgradeSchema = z
  .object({ appVersionId: z.string().min(1).max(64).optional(), runtime: RuntimeNameSchema.optional() })
  .strict()
  .meta({ id: 'InstanceUpgrade' });
const LogsQuerySchema = z.object({
  tail: z.coerce.number().int().min(1).max(10_000).default(200),
  follow: z.enum(['0', '1', 'true', 'false']).default('0'),
});

/** Run: instances of app versions, thin REST over the scheduler's NATS contracts. */
@ApiTags('instances')
@ApiBearerAuth()
@Controller('api/v1')
export class InstancesController {
  constructor(
    private readonly nats: RpcClient,
    private readonly internal: InternalHttpClient,
    private readonly shutdown: Shutdown,
  ) {}

  @Post('apps/:id/instances')
  @ApiOperation({ summary: 'Run an app version: starts your own instance of it (429 at your limit)' })
  @ApiBodyOf(RunSchema)
  @ApiResponseOf(201, InstanceSchema)
  @ApiErrorsOf(429)
  async run(@CurrentCaller() caller: Caller, @Param('id') ref: string, @Body() body: unknown) {
    const run = parseOrThrow(RunSchema, body ?? {}, 'body');
    // the scheduler resolves the reference (id, name@version, name) with the repository, as the caller
    return this.nats.rpc(S.create, { appVersionId: ref, ...run }, caller);
  }

  @Get('instances')
  @ApiOperation({ summary: 'Your instances; `scope=app-owner` for instances of your apps, `scope=all` for admins' })
  @ApiQueryOf(InstanceListRequestSchema)
  @ApiResponseOf(200, namedPageOf(InstanceSchema))
  @ApiErrorsOf(403)
  list(@CurrentCaller() caller: Caller, @Query() query: Record<string, string>) {
    return this.nats.rpc(S.list, query as never, caller);
  }

  @Get('instances/:id')
  @ApiOperation({ summary: 'One instance: status, why, where to open it' })
  @ApiResponseOf(200, InstanceSchema)
  get(@CurrentCaller() caller: Caller, @Param('id') id: string) {
    return this.nats.rpc(S.get, { id }, caller);
  }

  @Patch('instances/:id')
  @ApiOperation({
    summary: 'Change who may open the instance (visibility), or whether it is suspended when idle (idleSuspend, admins only)',
  })
  @ApiBodyOf(PatchInstanceSchema)
  @ApiResponseOf(200, InstanceSchema)
  async patch(@CurrentCaller() caller: Caller, @Param('id') id: string, @Body() body: unknown) {
    const { visibility, idleSuspend } = parseOrThrow(PatchInstanceSchema, body, 'body (`visibility` and `idleSuspend` can change)');
    // the admin-only change first: a caller who may not make it changes nothing
    let instance = idleSuspend === undefined ? null : await this.nats.rpc(S.setIdleSuspend, { id, enabled: idleSuspend }, caller);
    if (visibility !== undefined) instance = await this.nats.rpc(S.setVisibility, { id, visibility }, caller);
    return instance;
  }

  @Post('instances/:id/suspend')
  @HttpCode(200)
  @ApiOperation({ summary: 'Stop the instance, keeping its volume' })
  @ApiResponseOf(200, InstanceSchema)
  suspend(@CurrentCaller() caller: Caller, @Param('id') id: string) {
    return this.nats.rpc(S.suspend, { id }, caller);
  }

  @Post('instances/:id/resume')
  @HttpCode(200)
  @ApiOperation({ summary: 'Start a suspended instance again, with its volume' })
  @ApiResponseOf(200, InstanceSchema)
  @ApiErrorsOf(409, 429)
  resume(@CurrentCaller() caller: Caller, @Param('id') id: string) {
    return this.nats.rpc(S.resume, { id }, caller);
  }

  @Post('instances/:id/upgrade')
  @HttpCode(200)
  @ApiOperation({ summary: 'Move the instance to another version of the same app and/or another runtime (explicit, never automatic)' })
  @ApiBodyOf(UpgradeSchema)
  @ApiResponseOf(200, InstanceSchema)
  async upgrade(@CurrentCaller() caller: Caller, @Param('id') id: string, @Body() body: unknown) {
    const up = parseOrThrow(UpgradeSchema, body ?? {}, 'body');
    return this.nats.rpc(S.upgrade, { id, runtime: up.runtime, appVersionId: up.appVersionId }, caller);
  }

  @Delete('instances/:id')
  @HttpCode(200)
  @ApiOperation({ summary: 'Terminate the instance: process, files and volume are removed' })
  @ApiResponseOf(200, InstanceSchema)
  terminate(@CurrentCaller() caller: Caller, @Param('id') id: string) {
    return this.nats.rpc(S.terminate, { id }, caller);
  }

  @Get('instances/:id/logs')
  @ApiOperation({ summary: 'The last `tail` log lines as text; `follow=1` streams new lines until the instance ends' })
  @ApiQueryOf(LogsQuerySchema)
  @ApiResponse({ status: 200, description: 'Log lines, one per line (streamed with `follow=1`)', content: { 'text/plain': { schema: { type: 'string' } } } })
  @ApiErrorsOf(503)
  async logs(@CurrentCaller() caller: Caller, @Param('id') id: string, @Query() query: unknown, @Req() req: Request, @Res() res: Response) {
    const q = parseOrThrow(LogsQuerySchema, query, 'query');
    const follow = q.follow === '1' || q.follow === 'true';
    const answer = await this.nats.rpc(S.logs, { id, tail: q.tail }, caller); // authorizes, and tells where to follow
    res.setHeader('content-type', 'text/plain; charset=utf-8');
    res.setHeader('cache-control', 'no-store');
    if (!follow) {
      res.send(answer.lines.map((l) => `${l}\n`).join(''));
      return;
    }
    const path = `${answer.followPath}${answer.followPath.includes('?') ? '&' : '?'}follow=1&tail=${q.tail}`;
    const { req: up, response } = this.internal.request('scheduler', 'GET', path, caller, instanceLogsScope(id));
    up.end();
    const stream = await response;
    if ((stream.statusCode ?? 500) !== 200) {
      stream.resume();
      throw new WharfError('UNAVAILABLE', `the scheduler could not follow the logs (HTTP ${stream.statusCode})`);
    }
    res.setHeader('x-accel-buffering', 'no');
    res.flushHeaders();
    // a stopping gateway ends the follow at once (the client follows again through another replica)
    const forget = this.shutdown.endless(() => {
      stream.unpipe(res);
      stream.destroy();
      res.end();
    });
    res.once('close', forget);
    req.on('close', () => stream.destroy());
    stream.pipe(res);
  }

  @Get('runtimes')
  @ApiOperation({ summary: 'The runtime catalogue: name, image, default, state (ACTIVE, DEPRECATED, DISABLED)' })
  @ApiResponseOf(200, namedPageOf(RuntimeVersionSchema))
  runtimes(@CurrentCaller() caller: Caller) {
    return this.nats.rpc(S.runtimes, {}, caller);
  }
}
