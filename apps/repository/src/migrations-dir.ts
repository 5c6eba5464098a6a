import path from 'node:path';

/** Committed SQL migrations, applied at start (main.ts) and in tests. */
export const MIGRATIONS_DIR = path.resolve(__dirname, '../prisma/migrations');
