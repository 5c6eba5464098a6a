import 'reflect-metadata';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { Controller, Get, Injectable, Module, Req, Res, UnauthorizedException, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { APP_GUARD, NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Request, Response } from 'express';

/** What both floors serve: the header to expect, and each path's bytes (base64) as Wharf answered them. */
export interface FloorPages {
  authorization: string;
  pages: Record<string, { body: string; contentType: string }>;
}

interface Page {
  body: Buffer;
  type: string;
  etag: string;
}

/**
 * The NestJS floor of bench/catalog: the framework the gateway is built on (NestJS on Express, as
 * the gateway creates it: no body parser of Nest's own) and nothing of Wharf's — one global guard
 * comparing the `Authorization` header in constant time, the catalog's two routes, and the page's
 * bytes from memory sent as the gateway sends a cached answer (type, strong ETag, `res.send`, so a
 * matching If-None-Match gets a 304). Wharf ÷ this floor is what Wharf's own request path costs
 * over its framework; this floor ÷ the `node:http` one is what the framework costs.
 */
export async function startNestFloor(m: FloorPages): Promise<number> {
  const expected = Buffer.from(m.authorization);
  const pages = new Map<string, Page>(
    Object.entries(m.pages).map(([p, v]) => {
      const body = Buffer.from(v.body, 'base64');
      return [p, { body, type: v.contentType, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 32)}"` }];
    }),
  );

  @Injectable()
  class HeaderGuard implements CanActivate {
    canActivate(ctx: ExecutionContext): boolean {
      const got = Buffer.from(ctx.switchToHttp().getRequest<Request>().headers.authorization ?? '');
      if (got.length !== expected.length || !timingSafeEqual(got, expected)) throw new UnauthorizedException();
      return true;
    }
  }

  const send = (req: Request, res: Response) => {
    const page = pages.get(req.originalUrl);
    if (!page) return void res.status(404).end();
    res.setHeader('Content-Type', page.type);
    res.setHeader('ETag', page.etag);
    res.setHeader('Cache-Control', 'private, no-cache');
    res.send(page.body);
  };

  @Controller('api/v1/apps')
  class PagesController {
    @Get()
    list(@Req() req: Request, @Res() res: Response) {
      send(req, res);
    }

    @Get(':id')
    one(@Req() req: Request, @Res() res: Response) {
      send(req, res);
    }
  }

  @Module({ controllers: [PagesController], providers: [{ provide: APP_GUARD, useClass: HeaderGuard }] })
  class FloorModule {}

  const app = await NestFactory.create<NestExpressApplication>(FloorModule, { logger: false, bodyParser: false });
  app.disable('x-powered-by');
  const server = await app.listen(0, '127.0.0.1');
  server.keepAliveTimeout = 60_000;
  return (server.address() as AddressInfo).port;
}
