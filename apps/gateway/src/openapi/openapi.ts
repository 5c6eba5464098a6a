import { isDeepStrictEqual } from 'node:util';
import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { SessionService } from '../identity/session/session.service';
import { errorDescription, openApiSchema, ErrorBodySchema } from './zod-openapi';

type Json = Record<string, unknown>;
type Operation = { parameters?: { in: string }[]; requestBody?: unknown; responses: Record<string, unknown>; security?: Json[] };

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;
const SAFE = new Set(['get', 'head', 'options']);

/**
 * The OpenAPI document of the REST API, as /api/docs-json serves it: built by @nestjs/swagger from the
 * controllers' decorators and zod schemas, then
 * - named zod schemas (`.meta({ id })`) moved to `components.schemas` and referenced with `$ref`;
 * - the error answers every operation of its kind can give added where the operation does not list them
 *   (see `addErrorResponses`), all with the `ErrorResponse` body.
 */
export function openApiDocument(app: INestApplication, publicUrl?: string): OpenAPIObject {
  const builder = new DocumentBuilder()
    .setTitle('Wharf API')
    .setDescription(
      'Self-hosted app store for data and AI web apps. Authenticate with `Authorization: Bearer wharf_pat_…` ' +
        '(a personal access token, or an OIDC access token). Browsers use the session cookie; their changes also send ' +
        '`X-CSRF-Token` (from GET /auth/session). Errors are `{ error: { code, message, details } }`; lists are `{ items, nextCursor }`.',
    )
    .setVersion('v1')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'wharf_pat_…' }, 'bearer')
    .addCookieAuth(app.get(SessionService, { strict: false }).cookieName, { type: 'apiKey', in: 'cookie', description: 'The browser session (sign in at /auth/login)' }, 'session')
    // without a public URL the API is where the document is served
    .addServer(publicUrl ?? '/');
  const document = SwaggerModule.createDocument(app, builder.build());
  hoistNamedSchemas(document);
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of METHODS) {
      const op = (item as Record<string, Operation | undefined>)[method];
      if (!op) continue;
      addErrorResponses(path, method, op);
      // the anonymous alternative (`{}`) last: clients offer the credentials first
      if (op.security) op.security.sort((a, b) => Number(Object.keys(a).length === 0) - Number(Object.keys(b).length === 0));
    }
  }
  hoistNamedSchemas(document); // the error bodies just added
  dropTypelessNullable(document);
  return document;
}

/** OpenAPI document at /api/docs (UI) and /api/docs-json, built from the controllers' zod schemas. */
export function setupOpenApi(app: INestApplication, publicUrl?: string): void {
  const document = openApiDocument(app, publicUrl);
  SwaggerModule.setup('api/docs', app, document, { jsonDocumentUrl: 'api/docs-json', yamlDocumentUrl: 'api/docs-yaml' });
}

/**
 * Errors every operation of a kind gives, from the guard and the services:
 * - 401 for all: a present but bad `Authorization` header is refused everywhere, and a missing one where credentials are needed;
 * - with a bearer requirement (the REST API): 400 when it takes a body or parameters, 403 when it changes something
 *   (roles, owners, read-only tokens; reads only some callers may make say so with ApiErrorsOf(403)), 404 when its
 *   path names something.
 */
function addErrorResponses(path: string, method: string, op: Operation): void {
  const security = op.security ?? [];
  const bearer = security.some((r) => 'bearer' in r);
  const statuses = [401];
  if (bearer) {
    if (op.requestBody || (op.parameters?.length ?? 0) > 0) statuses.push(400);
    if (!SAFE.has(method)) statuses.push(403);
    if (path.includes('{')) statuses.push(404);
  }
  for (const status of statuses.sort()) {
    op.responses[status] ??= {
      description: errorDescription(status),
      content: { 'application/json': { schema: openApiSchema(ErrorBodySchema) } },
    };
  }
}

/** Moves the `definitions` zod emits for named schemas into `components.schemas`, pointing their `$ref`s there. */
function hoistNamedSchemas(document: OpenAPIObject): void {
  const components = ((document.components ??= {}).schemas ??= {}) as Json;
  const visit = (node: unknown, parentKey?: string): void => {
    if (Array.isArray(node)) return node.forEach((n) => visit(n));
    if (!node || typeof node !== 'object') return;
    const obj = node as Json;
    // a `definitions` key of a schema (not a property named so)
    if (parentKey !== 'properties' && obj.definitions && typeof obj.definitions === 'object') {
      for (const [id, schema] of Object.entries(obj.definitions as Json)) {
        visit(schema); // its own refs first, so that it compares with one hoisted before
        if (id in components && !isDeepStrictEqual(components[id], schema)) {
          throw new Error(`OpenAPI: two different schemas are named ${id} (an input and an output shape?): give one its own .meta({ id })`);
        }
        components[id] = schema;
      }
      delete obj.definitions;
    }
    for (const [key, value] of Object.entries(obj)) {
      if (key === '$ref' && typeof value === 'string' && value.startsWith('#/definitions/')) {
        obj.$ref = `#/components/schemas/${value.slice('#/definitions/'.length)}`;
      } else visit(value, key);
    }
  };
  visit(document.paths);
  document.components!.schemas = Object.fromEntries(Object.entries(components).sort(([a], [b]) => a.localeCompare(b))) as typeof document.components.schemas;
}

/** `nullable` only means something next to a `type` in OpenAPI 3.0; zod sets it on `unknown().nullable()` too (any value already). */
function dropTypelessNullable(node: unknown, parentKey?: string): void {
  if (Array.isArray(node)) return node.forEach((n) => dropTypelessNullable(n));
  if (!node || typeof node !== 'object') return;
  const obj = node as Json;
  const composed = ['type', '$ref', 'allOf', 'anyOf', 'oneOf'].some((k) => k in obj);
  if (parentKey !== 'properties' && obj.nullable === true && !composed) delete obj.nullable;
  for (const [key, value] of Object.entries(obj)) dropTypelessNullable(value, key);
}
