import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Put, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import {
  AppListRequestSchema,
  AppNameOwnerSchema,
  AppNameSchema,
  AppVersionSchema,
  hideSecretRefs,
  PageRequestSchema,
  PublicAppVersionSchema,
  RepositoryContracts as C,
  VisibilitySchema,
  type AppVersion,
  type Caller,
} from '@wharf/contracts';
import { AnswerCache, jsonAnswer, RpcClient, type JsonAnswer } from '@wharf/nats';
import type { Response } from 'express';
import { z } from 'zod';
import { AllowAnonymous, CurrentCaller } from '../auth/auth.guard';
import { CACHE_CONTROL, catalogAnswers, JSON_TYPE } from './early-catalog-reads';
import { ApiBodyOf, ApiErrorsOf, ApiQueryOf, ApiResponseOf, namedPageOf, parseOrThrow } from '../openapi/zod-openapi';

const PatchAppSchema = z.object({ visibility: VisibilitySchema }).strict().meta({ id: 'AppPatch' });
const PutOwnerSchema = z.object({ owner: z.string().trim().min(1).max(200) }).strict().meta({ id: 'AppOwnerPut' });
const IMAGE = {
  status: 200,
  description: 'The image (ETag; 304 for a matching If-None-Match)',
  content: { 'image/png': { schema: { type: 'string', format: 'binary' } }, 'image/jpeg': { schema: { type: 'string', format: 'binary' } } },
} as const;

/** The catalog: thin REST over the repository's NATS contracts. */
@ApiTags('apps')
@ApiBearerAuth()
@Controller('api/v1/apps')
export class AppsController {
  private readonly answers = catalogAnswers();

  constructor(
    private readonly nats: RpcClient,
    private readonly cache: AnswerCache,
  ) {}

  /** Secret names and keys in `[[Env]]` are shown only to the app version's owner and admins. */
  private hidePage(caller: Caller | null, page: { items: AppVersion[]; nextCursor: string | null }) {
    return { ...page, items: page.items.map((a) => hideSecretRefs(caller, a)) };
  }

  /**
   * Catalog reads are answered from memory per caller and query, as the bytes to send and their
   * ETag: the catalog is read far more than written. Changes made through this gateway drop the
   * cache at once; changes seen elsewhere arrive as broadcast events (CatalogEventsHandler). A
   * client that sends the ETag back in If-None-Match gets a 304 (express compares them). A list or
   * one version already cached is mostly answered before the framework (EarlyCatalogReads), in
   * the same bytes and headers.
   */
  private async cached(caller: Caller | null, kind: string, query: unknown, res: Response, load: () => Promise<unknown>): Promise<void> {
    const key = this.cache.key(caller, kind, query);
    let answer = this.cache.peek<JsonAnswer>(key);
    this.answers.inc({ source: answer ? 'cache' : 'repository' });
    answer ??= await this.cache.getOrLoad(key, async () => jsonAnswer(await load()));
    res.setHeader('Content-Type', JSON_TYPE);
    res.setHeader('ETag', answer.etag);
    res.setHeader('Cache-Control', CACHE_CONTROL);
    res.send(answer.body);
  }

  @Get()
  @AllowAnonymous()
  @ApiOperation({ summary: 'List the catalog: the latest visible version of each app, or all versions (`allVersions=true`); search with `q`' })
  @ApiQueryOf(AppListRequestSchema)
  @ApiResponseOf(200, namedPageOf(PublicAppVersionSchema))
  list(@CurrentCaller() caller: Caller | null, @Query() query: Record<string, string>, @Res() res: Response) {
    return this.cached(caller, 'list', query, res, async () => this.hidePage(caller, await this.nats.rpc(C.list, query as never, caller)));
  }

  @Get(':id')
  @AllowAnonymous()
  @ApiOperation({ summary: 'One app version, by id, `name@version`, or `name` (its newest version you may see)' })
  @ApiResponseOf(200, PublicAppVersionSchema)
  get(@CurrentCaller() caller: Caller | null, @Param('id') id: string, @Res() res: Response) {
    return this.cached(caller, 'get', id, res, async () => hideSecretRefs(caller, await this.nats.rpc(C.get, { id }, caller)));
  }

  @Get(':name/versions')
  @AllowAnonymous()
  @ApiOperation({ summary: 'All versions of an app you may see, newest first' })
  @ApiQueryOf(PageRequestSchema)
  @ApiResponseOf(200, namedPageOf(PublicAppVersionSchema))
  versions(
    @CurrentCaller() caller: Caller | null,
    @Param('name') name: string,
    @Query() query: Record<string, string>,
    @Res() res: Response,
  ) {
    return this.cached(caller, 'versions', [name, query], res, async () =>
      this.hidePage(caller, await this.nats.rpc(C.versions, { ...(query as object), name } as never, caller)),
    );
  }

  @Get(':id/icon')
  @AllowAnonymous()
  @ApiOperation({ summary: 'The app version’s icon (PNG or JPEG)' })
  @ApiProduces('image/png', 'image/jpeg')
  @ApiResponse(IMAGE)
  async icon(@CurrentCaller() caller: Caller | null, @Param('id') id: string, @Res() res: Response) {
    await this.sendImage(res, await this.nats.rpc(C.image, { id, kind: 'icon', index: 0 }, caller));
  }

  @Get(':id/screenshots/:n')
  @AllowAnonymous()
  @ApiOperation({ summary: 'Screenshot n (0-based) of the app version' })
  @ApiProduces('image/png', 'image/jpeg')
  @ApiResponse(IMAGE)
  async screenshot(@CurrentCaller() caller: Caller | null, @Param('id') id: string, @Param('n') n: string, @Res() res: Response) {
    const index = parseOrThrow(z.coerce.number().int().min(0), n, 'screenshot number (a 0-based integer)');
    await this.sendImage(res, await this.nats.rpc(C.image, { id, kind: 'screenshot', index }, caller));
  }

  private async sendImage(res: Response, img: { contentType: string; base64: string; sha256: string }) {
    const etag = `"${img.sha256}"`;
    res.setHeader('ETag', etag);
    res.setHeader('Cache-Control', 'private, max-age=300');
    if (res.req.headers['if-none-match'] === etag) return void res.status(304).end();
    res.type(img.contentType).send(Buffer.from(img.base64, 'base64'));
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change visibility (owner or admin); the only mutable field besides tags' })
  @ApiBodyOf(PatchAppSchema)
  @ApiResponseOf(200, AppVersionSchema)
  patch(@CurrentCaller() caller: Caller, @Param('id') id: string, @Body() body: unknown) {
    const { visibility } = parseOrThrow(PatchAppSchema, body, 'body (only `visibility` can change)');
    return this.cache.afterChange(this.nats.rpc(C.setVisibility, { id, visibility }, caller));
  }

  @Put(':name/owner')
  @ApiOperation({
    summary:
      'Give an app name to another user (admins): they then publish its versions; versions already imported keep their owner. `owner` is a user id (OIDC subject, or `svc:<user>` for a minted-token user)',
  })
  @ApiBodyOf(PutOwnerSchema)
  @ApiResponseOf(200, AppNameOwnerSchema)
  setOwner(@CurrentCaller() caller: Caller, @Param('name') name: string, @Body() body: unknown) {
    const appName = parseOrThrow(AppNameSchema, name, 'app name in the path');
    const { owner } = parseOrThrow(PutOwnerSchema, body, 'body ({ "owner": "<user id>" })');
    return this.nats.rpc(C.setOwner, { name: appName, owner }, caller);
  }

  @Delete(':id')
  @HttpCode(200)
  @ApiOperation({ summary: 'Delete an app version (owner or admin); 409 while instances of it exist' })
  @ApiResponseOf(200, C.delete.response)
  @ApiErrorsOf(409)
  delete(@CurrentCaller() caller: Caller, @Param('id') id: string) {
    return this.cache.afterChange(this.nats.rpc(C.delete, { id }, caller));
  }

  @Put(':id/tags/:tag')
  @ApiOperation({ summary: 'Put a tag on an app version (admins)' })
  @ApiResponseOf(200, AppVersionSchema)
  tag(@CurrentCaller() caller: Caller, @Param('id') id: string, @Param('tag') tag: string) {
    return this.cache.afterChange(this.nats.rpc(C.tagAssign, { id, tag }, caller));
  }

  @Delete(':id/tags/:tag')
  @HttpCode(200)
  @ApiOperation({ summary: 'Take a tag off an app version (admins)' })
  @ApiResponseOf(200, AppVersionSchema)
  untag(@CurrentCaller() caller: Caller, @Param('id') id: string, @Param('tag') tag: string) {
    return this.cache.afterChange(this.nats.rpc(C.tagUnassign, { id, tag }, caller));
  }
}
