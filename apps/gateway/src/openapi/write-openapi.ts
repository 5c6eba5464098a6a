import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { NestFactory } from '@nestjs/core';
import type { OpenAPIObject } from '@nestjs/swagger';
import { GatewayModule } from '../app.module';
import { loadGatewaySettings } from '../gateway.config';
import { openApiDocument } from './openapi';

/**
 * The OpenAPI document the gateway serves at /api/docs-json, built without a database, NATS or a
 * listening port: the module is created (controllers and their decorators read) but never started.
 * The API's clients (web UI, CLI) generate their types from it (libs/api: `pnpm --filter @wharf/api run api:types`).
 */
export async function offlineOpenApiDocument(): Promise<OpenAPIObject> {
  const settings = loadGatewaySettings({
    WHARF_PLATFORM_INTERNAL_SECRET: randomBytes(32).toString('hex'),
    WHARF_GATEWAY_DATABASE_URL: 'postgresql://unused@127.0.0.1:1/unused',
  });
  const app = await NestFactory.create(GatewayModule.forRoot(settings), { logger: false, abortOnError: false });
  try {
    return openApiDocument(app);
  } finally {
    await app.close();
  }
}

// `node dist/openapi/write-openapi.js [file]`: the document as JSON, to the file or to stdout.
if (require.main === module) {
  offlineOpenApiDocument().then(
    (doc) => {
      const json = `${JSON.stringify(doc, null, 2)}\n`;
      if (process.argv[2]) writeFileSync(process.argv[2], json);
      else process.stdout.write(json);
    },
    (e: unknown) => {
      console.error(`could not build the OpenAPI document: ${e instanceof Error ? e.message : String(e)}`);
      process.exit(1);
    },
  );
}
