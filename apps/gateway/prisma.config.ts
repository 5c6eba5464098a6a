// Prisma 7 CLI config: used for `prisma generate` only (migrations are applied by libs/db at start; see README "Database changes").
import { defineConfig } from 'prisma/config';
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? 'postgresql://root@127.0.0.1:5432/test' },
});
