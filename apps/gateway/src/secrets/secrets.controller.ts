import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Put, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  HTTP_STATUS,
  PageRequestSchema,
  SchedulerContracts as S,
  SecretGrantsSchema,
  SecretKeySchema,
  SecretSummarySchema,
  UserSecretAccessSchema,
  UserSecretContracts as U,
  UserSecretListRequestSchema,
  UserSecretNameSchema,
  UserSecretOwnerSchema,
  userSecretRef,
  UserSecretSchema,
  WharfError,
  type Caller,
} from '@wharf/contracts';
import { RpcClient } from '@wharf/nats';
import type { Response } from 'express';
import { z } from 'zod';
import { CurrentCaller } from '../auth/auth.guard';
import type { AuthedRequest } from '../auth/authed-request';
import { AuditedExplicitly } from '../audit/audit.watch';
import { AuditService } from '../audit/audit.service';
import { ApiBodyOf, ApiErrorsOf, ApiQueryOf, ApiResponseOf, namedPageOf, parseOrThrow } from '../openapi/zod-openapi';

/** PUT /api/v1/secrets/:name: the values, and optionally who may read them. */
const PutSecretSchema = z
  .object({ data: z.record(z.string(), z.string()), grants: SecretGrantsSchema.optional() })
  .strict()
  .meta({ id: 'SecretPut' });

const UserSecretDataSchema = z.record(SecretKeySchema, z.string().max(64 * 1024));
/** POST /api/v1/user-secrets: a new secret of yours. */
const UserSecretCreateSchema = z
  .object({ name: UserSecretNameSchema, data: UserSecretDataSchema, ...UserSecretAccessSchema.shape })
  .strict()
  .meta({ id: 'UserSecretCreate' });
/** PUT /api/v1/user-secrets/:name: all of its values (and, left out, the visibility it had). */
const UserSecretPutSchema = z
  .object({ data: UserSecretDataSchema, ...UserSecretAccessSchema.shape })
  .strict()
  .meta({ id: 'UserSecretPut' });
/** PATCH /api/v1/user-secrets/:name: who may read it; the values are kept. */
const UserSecretPatchSchema = z
  .object({ visibility: UserSecretAccessSchema.shape.visibility.unwrap(), apps: UserSecretAccessSchema.shape.apps })
  .strict()
  .meta({ id: 'UserSecretPatch' });
/** `?owner=<user id>`: another user's secret (admins); left out, the caller's. */
const OwnerQuerySchema = z.object({ owner: UserSecretOwnerSchema.optional() }).strict();
const UserSecretDeletedSchema = U.delete.response.meta({ id: 'UserSecretDeleted' });

const USER_SECRETS_SUMMARY =
  "Your own secrets, which your apps' [[Env]] read as `~/<name>` (in instances you run) or `<your user id>/<name>` (visibility decides which instances may): PRIVATE (only your instances), ALL_USERS (every instance), APP (instances of the named apps). Values are write-only.";

/**
 * Secrets over REST, thin over the scheduler's NATS contracts: platform secrets (admins:
 * `/api/v1/secrets`) and user secrets (full-access users their own, admins everyone's with
 * `?owner=`: `/api/v1/user-secrets`). Values go in, never out: answers, errors and audit entries
 * carry names, key names, visibility and apps only. Changes to user secrets are audited here
 * (`user-secret.create|replace|update|delete`, target `<owner id>/<name>`).
 */
@ApiTags('secrets')
@ApiBearerAuth()
@Controller('api/v1')
export class SecretsController {
  constructor(
    private readonly nats: RpcClient,
    private readonly audit: AuditService,
  ) {}

  // ---------------------------------------------------------------- platform secrets (admins)

  @Get('secrets')
  @ApiOperation({ summary: 'Platform secrets (admins), which app.toml [[Env]] entries name by their bare name: names, key names and grants only' })
  @ApiQueryOf(PageRequestSchema)
  @ApiResponseOf(200, namedPageOf(SecretSummarySchema))
  @ApiErrorsOf(403)
  secrets(@CurrentCaller() caller: Caller, @Query() query: Record<string, string>) {
    return this.nats.rpc(S.secretList, query as never, caller);
  }

  @Put('secrets/:name')
  @ApiOperation({
    summary:
      'Create or replace a platform secret (admins): `{ "data": { "<key>": "<value>" }, "grants": { "apps": ["<app name>"], "owners": ["<user id>"] } }`. ' +
      'Only apps with a granted name, or published by a granted owner, read it through [[Env]]; `grants` left out keeps the current ones (none for a new secret)',
  })
  @ApiBodyOf(PutSecretSchema)
  @ApiResponseOf(200, SecretSummarySchema)
  putSecret(@CurrentCaller() caller: Caller, @Param('name') name: string, @Body() body: unknown) {
    const { data, grants } = parseOrThrow(PutSecretSchema, body, 'body');
    return this.nats.rpc(S.secretPut, { name, data, ...(grants ? { grants } : {}) }, caller);
  }

  @Delete('secrets/:name')
  @HttpCode(200)
  @ApiOperation({ summary: 'Delete a platform secret (admins); 409 while an instance that is not terminated reads it (terminate those first, or take back their grant)' })
  @ApiResponseOf(200, S.secretDelete.response)
  @ApiErrorsOf(403, 409)
  deleteSecret(@CurrentCaller() caller: Caller, @Param('name') name: string) {
    return this.nats.rpc(S.secretDelete, { name }, caller);
  }

  // ---------------------------------------------------------------- user secrets

  @Get('user-secrets')
  @ApiOperation({ summary: `${USER_SECRETS_SUMMARY} \`scope=all\` (admins): every user's; \`owner=<user id>\` (admins): one user's` })
  @ApiQueryOf(UserSecretListRequestSchema)
  @ApiResponseOf(200, namedPageOf(UserSecretSchema))
  @ApiErrorsOf(403)
  userSecrets(@CurrentCaller() caller: Caller, @Query() query: Record<string, string>) {
    return this.nats.rpc(U.list, query as never, caller);
  }

  @Post('user-secrets')
  @AuditedExplicitly()
  @ApiOperation({
    summary:
      'Create a secret of yours (409 when you have one of that name): `{ "name": "openai", "data": { "API_KEY": "…" }, "visibility": "PRIVATE" }`; ' +
      'visibility PRIVATE (default), ALL_USERS, or APP with `"apps": ["<app name>"]`. Admins create one for another user with `?owner=<user id>`',
  })
  @ApiQueryOf(OwnerQuerySchema)
  @ApiBodyOf(UserSecretCreateSchema)
  @ApiResponseOf(201, UserSecretSchema)
  @ApiErrorsOf(403, 409)
  async createUserSecret(@CurrentCaller() caller: Caller, @Req() req: AuthedRequest, @Query() query: unknown, @Body() body: unknown) {
    return this.audited(req, caller, 'user-secret.create', query, (body as { name?: unknown } | null)?.name, async () => {
      const { name, data, visibility, apps } = parseOrThrow(UserSecretCreateSchema, body, 'body');
      const { owner } = parseOrThrow(OwnerQuerySchema, query ?? {}, 'query');
      return (await this.nats.rpc(U.put, { owner, name, data, visibility, apps, mode: 'create' }, caller)).secret;
    });
  }

  @Get('user-secrets/:name')
  @ApiOperation({ summary: 'One secret of yours (admins: anyone\'s, with `?owner=`): its key names, visibility and apps, never its values' })
  @ApiQueryOf(OwnerQuerySchema)
  @ApiResponseOf(200, UserSecretSchema)
  @ApiErrorsOf(403)
  getUserSecret(@CurrentCaller() caller: Caller, @Param('name') name: string, @Query() query: unknown) {
    const { owner } = parseOrThrow(OwnerQuerySchema, query ?? {}, 'query');
    return this.nats.rpc(U.get, { owner, name }, caller);
  }

  @Put('user-secrets/:name')
  @AuditedExplicitly()
  @ApiOperation({
    summary:
      'Create (201) or replace (200) a secret of yours: all its keys and values; `visibility` and `apps` left out keep those it had (PRIVATE for a new one)',
  })
  @ApiQueryOf(OwnerQuerySchema)
  @ApiBodyOf(UserSecretPutSchema)
  @ApiResponseOf(200, UserSecretSchema, 'Replaced')
  @ApiResponseOf(201, UserSecretSchema, 'Created')
  @ApiErrorsOf(403)
  async putUserSecret(
    @CurrentCaller() caller: Caller,
    @Req() req: AuthedRequest,
    @Res({ passthrough: true }) res: Response,
    @Param('name') name: string,
    @Query() query: unknown,
    @Body() body: unknown,
  ) {
    let action = 'user-secret.replace';
    return this.audited(req, caller, () => action, query, name, async () => {
      const { data, visibility, apps } = parseOrThrow(UserSecretPutSchema, body, 'body');
      const { owner } = parseOrThrow(OwnerQuerySchema, query ?? {}, 'query');
      const { created, secret } = await this.nats.rpc(U.put, { owner, name, data, visibility, apps, mode: 'upsert' }, caller);
      if (created) action = 'user-secret.create';
      res.status(created ? 201 : 200);
      return secret;
    });
  }

  @Patch('user-secrets/:name')
  @AuditedExplicitly()
  @ApiOperation({ summary: 'Change who may read a secret of yours (`visibility`, and `apps` for APP) and keep its values' })
  @ApiQueryOf(OwnerQuerySchema)
  @ApiBodyOf(UserSecretPatchSchema)
  @ApiResponseOf(200, UserSecretSchema)
  @ApiErrorsOf(403)
  async patchUserSecret(@CurrentCaller() caller: Caller, @Req() req: AuthedRequest, @Param('name') name: string, @Query() query: unknown, @Body() body: unknown) {
    return this.audited(req, caller, 'user-secret.update', query, name, async () => {
      const { visibility, apps } = parseOrThrow(UserSecretPatchSchema, body, 'body');
      const { owner } = parseOrThrow(OwnerQuerySchema, query ?? {}, 'query');
      return (await this.nats.rpc(U.put, { owner, name, visibility, apps, mode: 'update' }, caller)).secret;
    });
  }

  @Delete('user-secrets/:name')
  @HttpCode(200)
  @AuditedExplicitly()
  @ApiOperation({
    summary:
      'Delete a secret of yours; 409 while an instance that is not terminated reads it (`details.instances`: the ids you may see, `details.count`: all of them): terminate those first, or make it PRIVATE so that instances of other users no longer read it',
  })
  @ApiQueryOf(OwnerQuerySchema)
  @ApiResponseOf(200, UserSecretDeletedSchema)
  @ApiErrorsOf(403, 409)
  async deleteUserSecret(@CurrentCaller() caller: Caller, @Req() req: AuthedRequest, @Param('name') name: string, @Query() query: unknown) {
    return this.audited(req, caller, 'user-secret.delete', query, name, async () => {
      const { owner } = parseOrThrow(OwnerQuerySchema, query ?? {}, 'query');
      return this.nats.rpc(U.delete, { owner, name }, caller);
    });
  }

  /**
   * Runs a change of a user secret and records it: the target is `<owner id>/<name>`, the details
   * what it set besides the values (visibility, apps, key names), the outcome the answer's.
   */
  private async audited<T extends object>(
    req: AuthedRequest,
    caller: Caller,
    action: string | (() => string),
    query: unknown,
    name: unknown,
    run: () => Promise<T>,
  ): Promise<T> {
    const q = (query ?? {}) as { owner?: unknown };
    const owner = typeof q.owner === 'string' && q.owner ? q.owner : caller.sub;
    const target = typeof name === 'string' && name ? userSecretRef(owner, name) : null;
    const actionOf = () => (typeof action === 'string' ? action : action());
    try {
      const result = await run();
      const r = result as { keys?: string[]; visibility?: string; apps?: string[] };
      await this.audit.record(req, {
        action: actionOf(),
        outcome: 'success',
        target,
        status: actionOf() === 'user-secret.create' ? 201 : 200,
        details: { ...(owner !== caller.sub ? { owner } : {}), visibility: r.visibility, apps: r.apps, keys: r.keys },
      });
      return result;
    } catch (e) {
      const status = e instanceof WharfError ? HTTP_STATUS[e.code] : 500;
      await this.audit.record(req, {
        action: actionOf(),
        outcome: status === 401 || status === 403 ? 'denied' : 'failure',
        target,
        status,
        details: { ...(owner !== caller.sub ? { owner } : {}), error: e instanceof WharfError ? e.code : 'INTERNAL' },
      });
      throw e;
    }
  }
}
