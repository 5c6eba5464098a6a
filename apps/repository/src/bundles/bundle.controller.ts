import { Controller, Get, Head, HttpCode, Inject, Param, Post, Req, Res } from '@nestjs/common';
import {
  INTERNAL_TOKEN_HEADER,
  unauthenticated,
  verifyInternalToken,
  type InternalClaims,
} from '@wharf/contracts';
import type { Request, Response } from 'express';
import { AppService } from '../catalog/app.service';
import { BLOB_STORE, type BlobStore } from '../blobs/blob-store';
import { REPOSITORY_SETTINGS, type RepositorySettings } from '../repository.config';
import { ImportService } from './import.service';
import { parseRange } from './range';

/**
 * The repository's internal HTTP port: bundle bytes never travel over NATS (1 MB limit).
 * Callers present a caller assertion signed with the platform's internal secret
 * (`x-wharf-internal-token`): the gateway for users, the scheduler for instances.
 */
@Controller('internal/bundles')
export class BundleController {
  constructor(
    private readonly imports: ImportService,
    private readonly apps: AppService,
    @Inject(BLOB_STORE) private readonly blobs: BlobStore,
    @Inject(REPOSITORY_SETTINGS) private readonly settings: RepositorySettings,
  ) {}

  private claims(req: Request, scope: string): InternalClaims {
    const token = req.header(INTERNAL_TOKEN_HEADER);
    const claims = verifyInternalToken(this.settings.platform.InternalSecret, token, scope);
    if (!claims) throw unauthenticated(`missing or invalid ${INTERNAL_TOKEN_HEADER} for ${scope}`);
    return claims;
  }

  @Post()
  @HttpCode(201)
  async upload(@Req() req: Request) {
    const declared = req.headers['content-length'] ? Number(req.headers['content-length']) : undefined;
    try {
      return await this.imports.import(() => this.claims(req, 'bundle:import').caller, req, declared);
    } finally {
      // An early answer (limit, size) must not leave the sender writing into a socket nobody reads.
      if (!req.complete) req.resume();
    }
  }

  @Head(':id')
  async head(@Param('id') id: string, @Req() req: Request, @Res() res: Response) {
    await this.download(id, req, res, false);
  }

  @Get(':id')
  async get(@Param('id') id: string, @Req() req: Request, @Res() res: Response) {
    await this.download(id, req, res, true);
  }

  /**
   * Streams the bundle with Content-Length, ETag (the sha256) and single Range support.
   * A caller-less token is an instance's download token (minted by the scheduler for one id);
   * a caller's token is checked against the visibility rules like any other read.
   */
  private async download(id: string, req: Request, res: Response, withBody: boolean) {
    const claims = this.claims(req, `bundle:read:${id}`);
    const row = claims.caller ? await this.apps.findVisible(claims.caller, id) : await this.apps.findForInstance(id);
    const size = Number(row.size);
    const etag = `"${row.sha256}"`;
    res.setHeader('ETag', etag);
    res.setHeader('Accept-Ranges', 'bytes');
    res.setHeader('Content-Type', 'application/zip');
    res.setHeader('Content-Disposition', `attachment; filename="${row.name}-${row.version}.zip"`);
    res.setHeader('Cache-Control', 'private, max-age=0, must-revalidate');
    if (req.headers['if-none-match'] === etag) {
      res.status(304).end();
      return;
    }
    const ifRange = req.headers['if-range'];
    const range = ifRange && ifRange !== etag ? ({ kind: 'full' } as const) : parseRange(req.headers.range, size);
    if (range.kind === 'unsatisfiable') {
      res.setHeader('Content-Range', `bytes */${size}`);
      res.status(416).json({ error: { code: 'INVALID', message: `range not satisfiable for a ${size}-byte bundle` } });
      return;
    }
    const [start, end] = range.kind === 'partial' ? [range.start, range.end] : [0, size - 1];
    res.status(range.kind === 'partial' ? 206 : 200);
    if (range.kind === 'partial') res.setHeader('Content-Range', `bytes ${start}-${end}/${size}`);
    res.setHeader('Content-Length', String(size === 0 ? 0 : end - start + 1));
    if (!withBody || size === 0) {
      res.end();
      return;
    }
    const body = await this.blobs.get(row.blobKey, range.kind === 'partial' ? { start, end } : undefined);
    res.on('close', () => body.destroy());
    body.on('error', () => res.destroy());
    body.pipe(res);
  }
}
