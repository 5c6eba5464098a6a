// Authoring-only helper for `pnpm run migrate:new|migrate:check` in apps that own a Prisma schema.
// Prisma 7's migrate needs a native schema engine that cannot be downloaded here, so diffs are
// computed by the Prisma 6.19.3 CLI (wasm engine + driver adapter), with the workarounds below.
// Never imported by runtime code.
import fs from 'node:fs';
import path from 'node:path';
import { PrismaPg } from '@prisma/adapter-pg';

export function prisma6Config(appDir: string) {
  // (1) Prisma 6 requires datasource.url, Prisma 7 forbids it: give Prisma 6 a derived copy.
  const derived = path.join(appDir, 'node_modules/.prisma6/schema.prisma');
  fs.mkdirSync(path.dirname(derived), { recursive: true });
  fs.writeFileSync(
    derived,
    fs
      .readFileSync(path.join(appDir, 'prisma/schema.prisma'), 'utf8')
      .replace(/datasource\s+\w+\s*\{/, (m) => `${m}\n  url = "postgresql://unused"`),
  );
  const url = process.env.DATABASE_URL ?? 'postgresql://root@127.0.0.1:5432/postgres';
  return {
    experimental: { adapter: true },
    engine: 'js' as const,
    schema: derived,
    migrations: { path: path.join(appDir, 'prisma/migrations') },
    adapter: async () => {
      const f = shadowCapable(url);
      await patchCharOid(f);
      return f;
    },
  };
}

type Patchable = { connectToShadowDb: () => Promise<unknown> };

// (2) adapter-pg's connectToShadowDb reuses the main database; use a real temporary one.
function shadowCapable(url: string): PrismaPg {
  const f = new PrismaPg({ connectionString: url });
  (f as unknown as Patchable).connectToShadowDb = async () => {
    const admin = await f.connect();
    const name = `prisma_shadow_${process.pid}_${Date.now()}`;
    await admin.executeScript(`CREATE DATABASE "${name}"`);
    const u = new URL(url);
    u.pathname = `/${name}`;
    const shadow = await new PrismaPg({ connectionString: u.toString() }).connect();
    const close = shadow.dispose.bind(shadow);
    shadow.dispose = async () => {
      await close();
      await admin.executeScript(`DROP DATABASE IF EXISTS "${name}"`);
      await admin.dispose();
    };
    return shadow;
  };
  return f;
}

// (3) adapter-pg cannot map pg's internal "char" type (OID 18) read while introspecting.
async function patchCharOid(f: PrismaPg): Promise<void> {
  const a = await f.connect();
  const proto = Object.getPrototypeOf(Object.getPrototypeOf(a)) as {
    __charPatched?: boolean;
    performIO: (q: unknown) => Promise<{ fields?: { dataTypeID: number }[] }>;
  };
  await a.dispose();
  if (proto.__charPatched) return;
  proto.__charPatched = true;
  const orig = proto.performIO;
  proto.performIO = async function (this: unknown, q: unknown) {
    const r = await orig.call(this, q);
    for (const fld of r?.fields ?? []) if (fld.dataTypeID === 18) fld.dataTypeID = 25;
    return r;
  };
}
