import { PrismaPg } from '@prisma/adapter-pg';
import { schemaConnection } from './migrate';

/** A Prisma driver adapter bound to one service's Postgres schema (tables and raw SQL alike). */
export function pgAdapter(url: string, schema: string, max = 10): PrismaPg {
  return new PrismaPg({ ...schemaConnection(url, schema), max }, { schema });
}
