import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';

/** OpenAPI document at /api/docs (UI) and /api/docs-json, built from the controllers' zod schemas. */
export function setupOpenApi(app: INestApplication, publicUrl?: string): void {
  const builder = new DocumentBuilder()
    .setTitle('Wharf API')
    .setDescription(
      'Self-hosted app store for data and AI web apps. Authenticate with `Authorization: Bearer wharf_pat_…`. ' +
        'Errors are `{ error: { code, message, details } }`; lists are `{ items, nextCursor }`.',
    )
    .setVersion('v1')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'wharf_pat_…' });
  if (publicUrl) builder.addServer(publicUrl);
  const document = SwaggerModule.createDocument(app, builder.build());
  SwaggerModule.setup('api/docs', app, document, { jsonDocumentUrl: 'api/docs-json', yamlDocumentUrl: 'api/docs-yaml' });
}
