import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AliasContracts as A, AliasNameSchema, AliasSchema, InstanceIdSchema, PageRequestSchema, type Caller } from '@wharf/contracts';
import { RpcClient } from '@wharf/nats';
import { z } from 'zod';
import { CurrentCaller } from '../auth/auth.guard';
import { ApiBodyOf, ApiErrorsOf, ApiQueryOf, ApiResponseOf, namedPageOf, parseOrThrow } from '../openapi/zod-openapi';

/** POST /api/v1/aliases */
const AliasCreateSchema = z
  .object({
    name: AliasNameSchema,
    instanceId: InstanceIdSchema.nullable().optional(),
    primary: z.boolean().optional(),
  })
  .strict()
  .meta({ id: 'AliasCreate' });
/** PUT /api/v1/aliases/:name */
const AliasAssignSchema = z
  .object({ instanceId: InstanceIdSchema.nullable(), primary: z.boolean().optional() })
  .strict()
  .meta({ id: 'AliasAssign' });
const AliasDeletedSchema = A.delete.response.meta({ id: 'AliasDeleted' });

const nameOf = (name: string): string => parseOrThrow(z.object({ name: AliasNameSchema }), { name }, 'alias name in the path').name;

/**
 * Aliases (admins): names `<alias>.<AppsDomain>` that serve an instance, thin REST over the
 * scheduler's alias contracts. Changes are audited by the audit watch (`alias.create`,
 * `alias.assign`, `alias.promote`, `alias.delete`, target the alias name).
 */
@ApiTags('aliases')
@ApiBearerAuth()
@Controller('api/v1')
export class AliasesController {
  constructor(private readonly nats: RpcClient) {}

  @Get('aliases')
  @ApiOperation({ summary: 'Every alias (admins), by name: the instance it serves (or null), whether it is that instance’s primary, who made and changed it' })
  @ApiQueryOf(PageRequestSchema)
  @ApiResponseOf(200, namedPageOf(AliasSchema))
  @ApiErrorsOf(403)
  list(@CurrentCaller() caller: Caller, @Query() query: Record<string, string>) {
    return this.nats.rpc(A.list, query as never, caller);
  }

  @Post('aliases')
  @ApiOperation({
    summary:
      'Create an alias (admins): `{ "name": "docs", "instanceId": "<id>", "primary": true }` serves the instance at `docs.<AppsDomain>`; ' +
      'without instanceId it is unassigned (404) until assigned. Names are DNS labels that do not look like instance ids',
  })
  @ApiBodyOf(AliasCreateSchema)
  @ApiResponseOf(201, AliasSchema)
  @ApiErrorsOf(403, 404, 409)
  create(@CurrentCaller() caller: Caller, @Body() body: unknown) {
    const b = parseOrThrow(AliasCreateSchema, body, 'body');
    return this.nats.rpc(A.create, b, caller);
  }

  @Put('aliases/:name')
  @ApiOperation({
    summary:
      'Move an alias to another instance, or unassign it with `"instanceId": null` (admins). Atomic; routers serve new requests from the new instance at once, ' +
      'requests in flight finish where they were. A primary alias stays primary on its new instance (blue/green) unless `primary` says otherwise',
  })
  @ApiBodyOf(AliasAssignSchema)
  @ApiResponseOf(200, AliasSchema)
  @ApiErrorsOf(403, 404, 409)
  assign(@CurrentCaller() caller: Caller, @Param('name') name: string, @Body() body: unknown) {
    const alias = nameOf(name);
    const b = parseOrThrow(AliasAssignSchema, body, 'body (`instanceId`: an instance id or null; `primary`: optional)');
    return this.nats.rpc(A.assign, { name: alias, ...b }, caller);
  }

  @Post('aliases/:name/promote')
  @HttpCode(200)
  @ApiOperation({ summary: 'Make an alias the primary of its instance (admins): its id host and other aliases redirect there; the previous primary becomes a normal alias' })
  @ApiResponseOf(200, AliasSchema)
  @ApiErrorsOf(403, 404, 409)
  promote(@CurrentCaller() caller: Caller, @Param('name') name: string) {
    return this.nats.rpc(A.promote, { name: nameOf(name) }, caller);
  }

  @Delete('aliases/:name')
  @HttpCode(200)
  @ApiOperation({ summary: 'Delete an alias (admins): its host answers 404, the name is free again' })
  @ApiResponseOf(200, AliasDeletedSchema)
  @ApiErrorsOf(403, 404)
  delete(@CurrentCaller() caller: Caller, @Param('name') name: string) {
    return this.nats.rpc(A.delete, { name: nameOf(name) }, caller);
  }
}
