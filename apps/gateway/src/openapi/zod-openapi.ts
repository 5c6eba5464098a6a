import { applyDecorators } from '@nestjs/common';
import { ApiBody, ApiQuery, ApiResponse } from '@nestjs/swagger';
import { invalidInput, zodProblems, ErrorCodeSchema } from '@wharf/contracts';
import { z } from 'zod';

/** OpenAPI 3.0 schema object, as @nestjs/swagger takes it (not exported from the package root). */
type SchemaObject = Exclude<NonNullable<Extract<Parameters<typeof ApiResponse>[0], { schema?: unknown }>['schema']>, { $ref: string }> & {
  properties?: Record<string, unknown>;
  required?: string[];
};

/** OpenAPI 3.0 schema of a zod schema: the documentation is generated from the same schemas that validate. */
export function openApiSchema(schema: z.ZodType, io: 'input' | 'output' = 'output'): SchemaObject {
  return z.toJSONSchema(schema, { target: 'openapi-3.0', io, unrepresentable: 'any' }) as SchemaObject;
}

export const ErrorBodySchema = z.object({
  error: z.object({ code: ErrorCodeSchema, message: z.string(), details: z.unknown().optional() }),
});

export const ApiBodyOf = (schema: z.ZodType) => ApiBody({ schema: openApiSchema(schema, 'input') });

export const ApiResponseOf = (status: number, schema: z.ZodType, description?: string) =>
  applyDecorators(
    ApiResponse({ status, schema: openApiSchema(schema), description: description ?? 'OK' }),
    ApiResponse({ status: 'default', schema: openApiSchema(ErrorBodySchema), description: 'Error: `{ error: { code, message, details } }`' }),
  );

/** Documents each key of a zod object as a query parameter. */
export function ApiQueryOf(schema: z.ZodObject) {
  const json = openApiSchema(schema, 'input');
  const required = new Set(json.required ?? []);
  return applyDecorators(
    ...Object.entries(json.properties ?? {}).map(([name, s]) =>
      ApiQuery({ name, required: required.has(name), schema: s as SchemaObject }),
    ),
  );
}

/** Validates gateway-local input with field paths in the error ("what, where, how to fix"). */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, where: string): z.output<S> {
  const r = schema.safeParse(value);
  if (!r.success) throw invalidInput(`invalid ${where}`, zodProblems(r.error));
  return r.data;
}
