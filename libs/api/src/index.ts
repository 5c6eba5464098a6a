/**
 * The public REST API's types for Wharf's TypeScript clients (the web UI and the `wharf` CLI):
 * paths, parameters, bodies and answers as the gateway's OpenAPI document declares them
 * (src/schema.ts is generated from it; a test fails when the two differ). Types only: each client
 * brings its own openapi-fetch.
 */
import type { components } from './schema';

export type { components, operations, paths } from './schema';
export type Schemas = components['schemas'];
