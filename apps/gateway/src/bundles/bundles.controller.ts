import type { IncomingMessage } from 'node:http';
import { Controller, Get, Head, Param, Post, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiConsumes, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { AppVersionSchema, invalid, RepositoryContracts as C, WharfError, type Caller } from '@wharf/contracts';
import { AnswerCache, RpcClient } from '@wharf/nats';
import Busboy from 'busboy';
import type { Request, Response } from 'express';
import { AllowAnonymous, CurrentCaller } from '../auth/auth.guard';
import { ApiErrorsOf, ApiResponseOf } from '../openapi/zod-openapi';
import { InternalHttpClient } from './internal-http.client';

const PASS_REQUEST = ['range', 'if-range', 'if-none-match'];
const ZIP = { 'application/zip': { schema: { type: 'string', format: 'binary' } } } as const;
const PASS_RESPONSE = ['content-type', 'content-length', 'content-range', 'accept-ranges', 'etag', 'content-disposition', 'cache-control'];

/** Bundle bytes: streamed end to end between the client and the repository, never buffered whole. */
@ApiTags('apps')
@ApiBearerAuth()
@Controller('api/v1')
export class BundlesController {
  constructor(
    private readonly internal: InternalHttpClient,
    private readonly nats: RpcClient,
    private readonly cache: AnswerCache,
  ) {}

  @Post('bundles')
  @ApiOperation({
    summary: 'Import an app bundle (a zip with app.toml at its root)',
    description: 'Send the zip as the raw body (`Content-Type: application/zip`) or as the file of a multipart form (`curl -F bundle=@app.zip`).',
  })
  @ApiConsumes('application/zip', 'multipart/form-data')
  @ApiBody({ schema: { type: 'string', format: 'binary' } })
  @ApiResponseOf(201, AppVersionSchema, 'Imported')
  @ApiErrorsOf(409, 503)
  async upload(@CurrentCaller() caller: Caller, @Req() req: Request, @Res() res: Response) {
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (type === 'multipart/form-data') return this.uploadMultipart(caller, req, res);
    if (type && !['application/zip', 'application/octet-stream', 'application/x-zip-compressed'].includes(type)) {
      throw invalid(`Content-Type ${type} is not accepted: send the zip as application/zip, or as multipart/form-data with one file`);
    }
    const length = req.headers['content-length'];
    await this.forwardUpload(caller, req, res, length ? { 'content-length': length } : {});
  }

  private async uploadMultipart(caller: Caller, req: Request, res: Response) {
    let bb: Busboy.Busboy;
    try {
      bb = Busboy({ headers: req.headers, limits: { files: 1, fields: 10 } });
    } catch (e) {
      throw invalid(`malformed multipart request: ${(e as Error).message}`);
    }
    const file = new Promise<NodeJS.ReadableStream>((resolve, reject) => {
      bb.on('file', (_name, stream) => resolve(stream));
      bb.on('error', (e) => reject(invalid(`malformed multipart request: ${(e as Error).message}`)));
      bb.on('close', () => reject(invalid('the multipart form has no file: send the bundle as a file field, e.g. curl -F bundle=@app.zip')));
    });
    req.pipe(bb);
    const stream = await file;
    await this.forwardUpload(caller, stream as unknown as IncomingMessage, res, {}, req);
  }

  /** Pipes `body` to the repository and its answer back; a client that goes away aborts the import. */
  private async forwardUpload(caller: Caller, body: NodeJS.ReadableStream, res: Response, headers: Record<string, string>, client?: Request) {
    const { req: up, response } = this.internal.request('repository', 'POST', '/internal/bundles', caller, 'bundle:import', {
      'content-type': 'application/zip',
      ...headers,
    });
    const source = client ?? (body as unknown as Request);
    const abort = () => {
      if (!source.complete) up.destroy(new Error('client disconnected'));
    };
    source.on('aborted', abort);
    source.on('close', abort);
    body.pipe(up);
    const answer = await response;
    source.off('close', abort);
    if (answer.statusCode === 201) this.cache.invalidate(); // read-your-writes on this replica
    res.status(answer.statusCode ?? 502);
    res.setHeader('content-type', answer.headers['content-type'] ?? 'application/json');
    if (!source.complete) res.setHeader('connection', 'close');
    answer.pipe(res);
  }

  @Get('apps/:id/bundle')
  @AllowAnonymous()
  @ApiOperation({ summary: 'Download the bundle zip; supports Range, ETag (sha256) and If-None-Match' })
  @ApiResponse({ status: 200, description: 'The bundle', content: ZIP })
  @ApiResponse({ status: 206, description: 'The requested range of it', content: ZIP })
  @ApiErrorsOf(503)
  async download(@CurrentCaller() caller: Caller | null, @Param('id') id: string, @Req() req: Request, @Res() res: Response) {
    await this.proxyDownload('GET', caller, id, req, res);
  }

  @Head('apps/:id/bundle')
  @AllowAnonymous()
  @ApiOperation({ summary: 'The bundle’s headers only: size, ETag (sha256), Accept-Ranges' })
  @ApiResponse({ status: 200, description: 'As GET, without the body' })
  @ApiErrorsOf(503)
  async head(@CurrentCaller() caller: Caller | null, @Param('id') id: string, @Req() req: Request, @Res() res: Response) {
    await this.proxyDownload('HEAD', caller, id, req, res);
  }

  private async proxyDownload(method: string, caller: Caller | null, ref: string, req: Request, res: Response) {
    // Resolve name@version refs and apply visibility first, so the error is the catalog's own.
    const app = await this.nats.rpc(C.get, { id: ref }, caller);
    const headers = Object.fromEntries(PASS_REQUEST.filter((h) => req.headers[h]).map((h) => [h, String(req.headers[h])]));
    const { req: up, response } = this.internal.request('repository', method, `/internal/bundles/${app.id}`, caller, `bundle:read:${app.id}`, headers);
    up.end();
    const answer = await response;
    if ((answer.statusCode ?? 500) >= 500) throw new WharfError('UNAVAILABLE', `the repository answered ${answer.statusCode}`);
    res.status(answer.statusCode ?? 502);
    for (const h of PASS_RESPONSE) if (answer.headers[h]) res.setHeader(h, answer.headers[h]!);
    res.on('close', () => answer.destroy());
    answer.pipe(res);
  }
}
