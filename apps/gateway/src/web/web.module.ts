import { Inject, Injectable, Logger, Module, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type express from 'express';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { GATEWAY_SETTINGS, type GatewaySettings } from '../gateway.config';
import { webUi } from './web-ui';

/** The built web UI of the monorepo (apps/web/dist), the default of Gateway.WebDir. */
export const DEFAULT_WEB_DIR = path.resolve(__dirname, '../../../web/dist');

/**
 * Mounts the web UI on the gateway's HTTP server. Nest calls onModuleInit after it has registered
 * the controllers' routes and before its 404 handler, so the UI only answers what no route of the
 * gateway does.
 */
@Injectable()
export class WebUiMount implements OnModuleInit {
  private readonly dir: string;

  constructor(
    private readonly host: HttpAdapterHost,
    @Inject(GATEWAY_SETTINGS) settings: GatewaySettings,
  ) {
    this.dir = path.resolve(settings.gateway.WebDir ?? DEFAULT_WEB_DIR);
  }

  onModuleInit(): void {
    const http = this.host.httpAdapter?.getInstance<express.Express>();
    if (!http) return;
    const log = new Logger('WebUi');
    if (!existsSync(path.join(this.dir, 'index.html'))) {
      log.warn(`no web UI in ${this.dir} (build it with pnpm --filter @wharf/web build, or set Gateway.WebDir): / says so`);
    }
    const warned = new Set<string>(); // each problem with the build's files once, not with every page
    http.use(webUi(this.dir, (m) => !warned.has(m) && warned.add(m) && log.warn(m)));
  }
}

/** The web UI at / (see WebUiMount); needs GATEWAY_SETTINGS from the gateway module. */
@Module({})
export class WebModule {
  static forRoot(settings: GatewaySettings) {
    return { module: WebModule, providers: [{ provide: GATEWAY_SETTINGS, useValue: settings }, WebUiMount] };
  }
}
