import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CreatedShareSchema, CreateShareSchema, InstanceShareSchema, type Caller } from '@wharf/contracts';
import { z } from 'zod';
import { CurrentCaller } from '../auth/auth.guard';
import { ApiBodyOf, ApiErrorsOf, ApiResponseOf } from '../openapi/zod-openapi';
import { ShareService } from './share.service';

const ShareListSchema = z
  .object({
    items: z.array(InstanceShareSchema),
    /** Whether links for guests (`anonymous`) may be made here (Gateway.AllowAnonymousShares): clients offer the choice only then. */
    anonymousAllowed: z.boolean(),
  })
  .meta({ id: 'InstanceShareList' });

/** Share links of an instance: its owner and admins make, list and revoke them. */
@ApiTags('instances')
@ApiBearerAuth()
@Controller('api/v1/instances/:id/shares')
export class SharesController {
  constructor(private readonly shares: ShareService) {}

  @Post()
  @ApiOperation({
    summary:
      'Share the instance: a link (`url`, shown once) that lets signed-in users — or, with `anonymous` where Gateway.AllowAnonymousShares allows it, anyone — VIEW the instance until it expires or is revoked, even when it is PRIVATE. Owner and admins only.',
  })
  @ApiBodyOf(CreateShareSchema)
  @ApiResponseOf(201, CreatedShareSchema)
  @ApiErrorsOf(400, 403, 404, 409)
  create(@CurrentCaller() caller: Caller, @Param('id') id: string, @Body() body: unknown) {
    return this.shares.create(caller, id, body);
  }

  @Get()
  @ApiOperation({ summary: 'The instance’s share links, newest first: uses, expiry, state (never the link again). Owner and admins only.' })
  @ApiResponseOf(200, ShareListSchema)
  @ApiErrorsOf(403, 404)
  list(@CurrentCaller() caller: Caller, @Param('id') id: string) {
    return this.shares.list(caller, id);
  }

  @Delete(':shareId')
  @HttpCode(200)
  @ApiOperation({ summary: 'Revoke a share link: it stops opening, and everyone who came through it loses the instance at once (open websockets and streams close). Idempotent.' })
  @ApiResponseOf(200, InstanceShareSchema)
  @ApiErrorsOf(403, 404)
  revoke(@CurrentCaller() caller: Caller, @Param('id') id: string, @Param('shareId') shareId: string) {
    return this.shares.revoke(caller, id, shareId);
  }
}
