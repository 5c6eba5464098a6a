import { applyDecorators } from '@nestjs/common';
import { ApiBody, ApiQuery, ApiResponse } from '@nestjs/swagger';
import { invalidInput, pageOf, zodProblems, WireErrorSchema } from '@wharf/contracts';
import { z } from 'zod';

/** OpenAPI 3.0 schema object, as @nestjs/swagger takes it (not exported from the package root). */
type SchemaObject = Exclude<NonNullable<Extract<Parameters<typeof ApiResponse>[0], { schema?: unknown }>['schema']>, { $ref: string }> & {
  properties?: Record<string, unknown>;
  required?: string[];
  definitions?: Record<string, unknown>;
};

/**
 * OpenAPI 3.0 schema of a zod schema: the documentation is generated from the same schemas that validate.
 * Schemas named with `.meta({ id })` (here or nested) become `$ref: '#/definitions/<id>'` with the named
 * schemas under `definitions`; `openApiDocument` moves those into `components.schemas`.
 */
export function openApiSchema(schema: z.ZodType, io: 'input' | 'output' = 'output'): SchemaObject {
  return z.toJSONSchema(schema, { target: 'openapi-3.0', io, unrepresentable: 'any' }) as SchemaObject;
}

/** Every error answer of the REST API: `{ error: { code, message, details? } }`. */
export const ErrorBodySchema = z.object({ error: WireErrorSchema }).meta({ id: 'ErrorResponse' });

/** The `id` a schema is named with (`.meta({ id })`), if any. */
export const schemaId = (schema: z.ZodType): string | undefined => z.globalRegistry.get(schema)?.id;

const pages = new WeakMap<z.ZodType, z.ZodType>();
/** `pageOf(item)` named `<item id>Page` (one schema per item schema), for list answers. */
export function namedPageOf(item: z.ZodType): z.ZodType {
  const id = schemaId(item);
  if (!id) throw new Error('namedPageOf: the item schema has no id (name it with .meta({ id }))');
  let page = pages.get(item);
  if (!page) pages.set(item, (page = pageOf(item).meta({ id: `${id}Page` })));
  return page;
}

export const ApiBodyOf = (schema: z.ZodType) => ApiBody({ schema: openApiSchema(schema, 'input') });

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'INVALID: the input is wrong; `details.problems` lists each field',
  401: 'UNAUTHENTICATED: no credentials where they are needed, or a token that is unknown, revoked or expired',
  403: 'FORBIDDEN: not allowed for this caller (role, owner, read-only token)',
  404: 'NOT_FOUND: it does not exist, or the caller may not see it',
  409: 'CONFLICT: the current state does not allow it',
  429: 'LIMIT_EXCEEDED: too many requests, or a quota reached (see Retry-After when set)',
  503: 'UNAVAILABLE: a service behind the gateway is not reachable; try again',
};

/** Error answers (`{ error: { code, message, details } }`) an operation gives, beyond those `openApiDocument` adds to every operation of its kind. */
export const ApiErrorsOf = (...statuses: number[]) =>
  applyDecorators(
    ...statuses.map((status) =>
      ApiResponse({ status, schema: openApiSchema(ErrorBodySchema), description: ERROR_DESCRIPTIONS[status] ?? 'Error' }),
    ),
  );

/** The wording of an error response for `status`, for the document builder. */
export const errorDescription = (status: number) => ERROR_DESCRIPTIONS[status] ?? 'Error';

export const ApiResponseOf = (status: number, schema: z.ZodType, description?: string) =>
  applyDecorators(
    ApiResponse({ status, schema: openApiSchema(schema), description: description ?? 'OK' }),
    ApiResponse({ status: 'default', schema: openApiSchema(ErrorBodySchema), description: 'Error: `{ error: { code, message, details } }`' }),
  );

/** A 303 redirect to the `Location` header. */
export const ApiRedirect = (description: string) =>
  ApiResponse({ status: 303, description, headers: { Location: { description: 'Where to go next', schema: { type: 'string' } } } });

/** An HTML page (browser flows). */
export const ApiHtmlPage = (status: number, description: string) =>
  ApiResponse({ status, description, content: { 'text/html': { schema: { type: 'string' } } } });

/** Documents each key of a zod object as a query parameter. */
export function ApiQueryOf(schema: z.ZodObject) {
  const { properties = {}, required = [], definitions } = openApiSchema(schema, 'input');
  return applyDecorators(
    ...Object.entries(properties).map(([name, s]) =>
      // named schemas of a parameter carry their definitions along, for openApiDocument to hoist
      ApiQuery({ name, required: required.includes(name), schema: { ...(s as SchemaObject), ...(definitions ? { definitions } : {}) } }),
    ),
  );
}

/** Validates gateway-local input with field paths in the error ("what, where, how to fix"). */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, where: string): z.output<S> {
  const r = schema.safeParse(value);
  if (!r.success) throw invalidInput(`invalid ${where}`, zodProblems(r.error));
  return r.data;
}
