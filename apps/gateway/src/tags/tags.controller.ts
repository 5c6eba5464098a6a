import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { PageRequestSchema, RepositoryContracts as C, TagSchema, type Caller } from '@wharf/contracts';
import { AnswerCache, RpcClient } from '@wharf/nats';
import { CurrentCaller } from '../auth/auth.guard';
import { ApiBodyOf, ApiErrorsOf, ApiQueryOf, ApiResponseOf, namedPageOf } from '../openapi/zod-openapi';

const TagCreateSchema = C.tagCreate.request.meta({ id: 'TagCreate' });
const TagPatchSchema = C.tagUpdate.request.omit({ name: true }).meta({ id: 'TagPatch' });

/** Admin-managed tags; they may grant visitor roles access to ALL_USERS apps. */
@ApiTags('tags')
@ApiBearerAuth()
@Controller('api/v1/tags')
export class TagsController {
  constructor(
    private readonly nats: RpcClient,
    private readonly cache: AnswerCache,
  ) {}


  @Get()
  @ApiOperation({ summary: 'List tags' })
  @ApiQueryOf(PageRequestSchema)
  @ApiResponseOf(200, namedPageOf(TagSchema))
  list(@CurrentCaller() caller: Caller, @Query() query: Record<string, string>) {
    return this.nats.rpc(C.tagList, query as never, caller);
  }

  @Post()
  @ApiOperation({ summary: 'Create a tag (admins)' })
  @ApiBodyOf(TagCreateSchema)
  @ApiResponseOf(201, TagSchema)
  @ApiErrorsOf(409)
  create(@CurrentCaller() caller: Caller, @Body() body: unknown) {
    return this.cache.afterChange(this.nats.rpc(C.tagCreate, body as never, caller));
  }

  @Patch(':name')
  @ApiOperation({ summary: 'Change a tag’s title, colour, description or visitor roles (admins)' })
  @ApiBodyOf(TagPatchSchema)
  @ApiResponseOf(200, TagSchema)
  update(@CurrentCaller() caller: Caller, @Param('name') name: string, @Body() body: unknown) {
    return this.cache.afterChange(this.nats.rpc(C.tagUpdate, { ...(body as object), name } as never, caller));
  }

  @Delete(':name')
  @HttpCode(200)
  @ApiOperation({ summary: 'Delete a tag (admins); it is taken off every app version' })
  @ApiResponseOf(200, C.tagDelete.response)
  delete(@CurrentCaller() caller: Caller, @Param('name') name: string) {
    return this.cache.afterChange(this.nats.rpc(C.tagDelete, { name }, caller));
  }
}
