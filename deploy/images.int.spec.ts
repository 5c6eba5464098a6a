/**
 * Static checks of the container files (no Docker engine is needed): every Dockerfile named in
 * deploy/images.json parsed with dockerfile-ast, .dockerignore, and docker-compose.yml validated
 * against the Compose Specification schema (the copy vendored by dclint) and held to images.json.
 */
import fs from 'node:fs';
import path from 'node:path';
import Ajv from 'ajv';
import { DockerfileParser, type Instruction } from 'dockerfile-ast';
import { parse as parseYaml } from 'yaml';

const ROOT = path.resolve(__dirname, '..');
const read = (rel: string) => fs.readFileSync(path.join(ROOT, rel), 'utf8');

interface ImageEntry {
  image: string;
  dockerfile: string;
  tag?: string;
  port?: number;
  python?: string;
}
const images = JSON.parse(read('deploy/images.json')) as {
  registry: string;
  tag: string;
  services: Record<string, ImageEntry>;
  runtimes: Record<string, ImageEntry>;
};
const imageRef = (e: ImageEntry) => `${images.registry}/${e.image}:${e.tag ?? images.tag}`;

/** .dockerignore as Docker reads it: a path is excluded when it or a parent folder matches; `!` re-includes. */
const ignore = read('.dockerignore')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith('#'));
function ignored(rel: string): boolean {
  const parts = rel.split('/');
  let out = false;
  for (const line of ignore) {
    const neg = line.startsWith('!');
    const pattern = path.posix.normalize(neg ? line.slice(1) : line).replace(/^\/+/, '');
    for (let i = 1; i <= parts.length; i++) {
      if (path.matchesGlob(parts.slice(0, i).join('/'), pattern)) out = !neg;
    }
  }
  return out;
}

/** The repository's files (what a build context could hold), for resolving COPY sources with globs. */
function walk(dir = '', acc: string[] = []): string[] {
  for (const e of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name === '.git') continue;
    const rel = dir ? `${dir}/${e.name}` : e.name;
    acc.push(rel);
    if (e.isDirectory()) walk(rel, acc);
  }
  return acc;
}
const repoFiles = walk();

interface Stage {
  name: string | null;
  base: string;
  /** Instructions of the stage, those of the stages it is built FROM first. */
  effective: Instruction[];
  own: Instruction[];
}
function stagesOf(file: string): Stage[] {
  const doc = DockerfileParser.parse(read(file));
  const stages: Stage[] = [];
  for (const ins of doc.getInstructions()) {
    const kw = ins.getKeyword();
    if (kw === 'FROM') {
      const from = doc.getFROMs().find((f) => f.getRange().start.line === ins.getRange().start.line)!;
      const base = from.getImage() ?? '';
      const parent = stages.find((s) => s.name === base);
      stages.push({ name: from.getBuildStage(), base, effective: parent ? [...parent.effective] : [], own: [] });
    } else if (stages.length) {
      stages[stages.length - 1].own.push(ins);
      stages[stages.length - 1].effective.push(ins);
    }
  }
  return stages;
}
const args = (i: Instruction) => i.getArguments().map((a) => a.getValue());
const last = (s: Stage, kw: string) => s.effective.filter((i) => i.getKeyword() === kw).pop();
const flag = (i: Instruction, name: string) =>
  (i as unknown as { getFlags?: () => { getName(): string; getValue(): string | null }[] }).getFlags?.().find((f) => f.getName() === name)?.getValue();
/** JSON (exec form) arguments of CMD/HEALTHCHECK CMD, e.g. `["node", "dist/main.js"]`. */
const execForm = (i: Instruction) => JSON.parse((i.getArgumentsContent() ?? '').replace(/^[\s\S]*?(?=\[)/, '')) as string[];

const dockerfiles = [...new Set([...Object.values(images.services), ...Object.values(images.runtimes)].map((e) => e.dockerfile))];

describe.each(dockerfiles)('%s', (file) => {
  const stages = stagesOf(file);
  const final = stages[stages.length - 1];

  it('exists and parses into stages', () => {
    expect(fs.existsSync(path.join(ROOT, file))).toBe(true);
    expect(stages.length).toBeGreaterThanOrEqual(2);
  });

  it('refers only to stages defined before, and ARGs declared before the first FROM', () => {
    const doc = DockerfileParser.parse(read(file));
    const initial = doc.getInitialARGs().map((a) => a.getProperty()?.getName());
    stages.forEach((s, i) => {
      const earlier = stages.slice(0, i).map((x) => x.name);
      for (const v of s.base.matchAll(/\$\{?([A-Za-z_]+)/g)) expect(initial).toContain(v[1]);
      for (const c of s.own.filter((x) => ['COPY', 'ADD'].includes(x.getKeyword()))) {
        const from = flag(c, 'from');
        if (from !== undefined) expect(earlier).toContain(from);
      }
    });
  });

  it('copies from the build context only files that exist and .dockerignore lets through', () => {
    const sources = stages.flatMap((s) =>
      s.own.filter((i) => ['COPY', 'ADD'].includes(i.getKeyword()) && flag(i, 'from') === undefined).flatMap((i) => args(i).slice(0, -1)),
    );
    expect(sources.length).toBeGreaterThan(0);
    for (const src of sources) {
      const rel = path.posix.normalize(src).replace(/^\.?\/+/, '');
      if (rel === '.' || rel === '') continue; // the whole context
      const matches = /[*?[]/.test(rel) ? repoFiles.filter((f) => path.matchesGlob(f, rel)) : fs.existsSync(path.join(ROOT, rel)) ? [rel] : [];
      expect({ src, found: matches.filter((m) => !ignored(m)).length > 0 }).toEqual({ src, found: true });
    }
  });

  it('final stage: non-root user, NODE_ENV=production, nothing copied from the build context', () => {
    const user = last(final, 'USER');
    expect(user).toBeDefined();
    expect(['root', '0', '0:0', 'root:root']).not.toContain(args(user!).join(' '));
    const env = final.effective.filter((i) => i.getKeyword() === 'ENV').flatMap((i) => args(i).join(' ').split(/\s+/));
    expect(env).toContain('NODE_ENV=production');
    const fromContext = final.effective.filter((i) => ['COPY', 'ADD'].includes(i.getKeyword()) && flag(i, 'from') === undefined);
    expect(fromContext.map((i) => i.getArgumentsContent())).toEqual([]);
  });
});

describe.each(Object.entries(images.services))('service %s', (svc, entry) => {
  const stages = stagesOf(entry.dockerfile);
  const final = stages[stages.length - 1];
  const pkg = JSON.parse(read(`apps/${svc}/package.json`)) as { name: string; wharf?: { nodeFlags?: string[] } };

  it('is built by pnpm deploy of its own package, production dependencies only', () => {
    const runs = stages.slice(0, -1).flatMap((s) => s.own.filter((i) => i.getKeyword() === 'RUN').map((i) => i.getArgumentsContent() ?? ''));
    expect(runs.join('\n')).toMatch(new RegExp(`pnpm deploy --filter=${pkg.name.replace('/', '\\/')} --prod`));
    expect(runs.join('\n')).toContain('--frozen-lockfile');
  });

  it(`EXPOSEs ${entry.port}, its HEALTHCHECK asks that port, CMD runs dist/main.js with the node flags of its package.json`, () => {
    const expose = final.effective.filter((i) => i.getKeyword() === 'EXPOSE').flatMap(args);
    expect(expose).toEqual([String(entry.port)]);
    const health = last(final, 'HEALTHCHECK');
    expect(health).toBeDefined();
    // dev-idp (oidc-provider) has no /healthz; its discovery document answers once it is up.
    const probe = svc === 'dev-idp' ? '/.well-known/openid-configuration' : '/healthz';
    expect(execForm(health!).join(' ')).toContain(`http://127.0.0.1:${entry.port}${probe}`);
    expect(execForm(last(final, 'CMD')!)).toEqual(['node', ...(pkg.wharf?.nodeFlags ?? []), 'dist/main.js']);
    expect(fs.existsSync(path.join(ROOT, `apps/${svc}/src/main.ts`))).toBe(true);
  });
});

describe('the gateway image', () => {
  const stages = stagesOf('apps/gateway/Dockerfile');
  const final = stages[stages.length - 1];

  it('carries the built web UI where Gateway.WebDir points', () => {
    const runs = stages.slice(0, -1).flatMap((s) => s.own.filter((i) => i.getKeyword() === 'RUN').map((i) => i.getArgumentsContent() ?? '')).join('\n');
    expect(runs).toMatch(/turbo run build [^\n]*--filter=@wharf\/web/);
    expect(runs).toContain('cp -r apps/web/dist /out/web');
    expect(runs).toContain('test -f /out/web/index.html');
    const env = final.effective.filter((i) => i.getKeyword() === 'ENV').flatMap((i) => args(i).join(' ').split(/\s+/));
    expect(env).toContain('WHARF_GATEWAY_WEB_DIR=/app/web');
    expect(final.own.filter((i) => i.getKeyword() === 'COPY').map(args)).toContainEqual(['/out', '/app']);
    // what vite builds from: in the build context
    for (const f of ['apps/web/index.html', 'apps/web/vite.config.ts', 'apps/web/package.json']) expect([f, ignored(f)]).toEqual([f, false]);
  });
});

describe('runtime images', () => {
  const file = 'deploy/runtimes/python/Dockerfile';
  const stages = stagesOf(file);
  const final = stages[stages.length - 1];
  const schedulerConfig = read('apps/scheduler/src/scheduler.config.ts');

  it('every runtime names this Dockerfile and a Python version equal to its tag', () => {
    for (const r of Object.values(images.runtimes)) {
      expect([r.dockerfile, r.tag]).toEqual([file, r.python]);
    }
  });

  it('is the official python slim image of PYTHON_VERSION with the node:20 binary', () => {
    expect(final.base).toMatch(/^python:\$\{PYTHON_VERSION\}-slim(-[a-z]+)?$/);
    const copies = final.own.filter((i) => i.getKeyword() === 'COPY').map((i) => ({ from: flag(i, 'from'), args: args(i) }));
    const nodeStage = copies.find((c) => c.args[0] === '/usr/local/bin/node')?.from;
    expect(stages.find((s) => s.name === nodeStage)?.base).toMatch(/^node:20(-|$)/);
  });

  it("runs the launcher as the scheduler's default KubeLauncherCommand and KubeRunAsUser", () => {
    const command = /KubeLauncherCommand:.*\.default\((\[[^\]]*\])\)/.exec(schedulerConfig)![1];
    expect(execForm(last(final, 'CMD')!)).toEqual(JSON.parse(command.replace(/'/g, '"')));
    const uid = /KubeRunAsUser:.*\.default\((\d+)\)/.exec(schedulerConfig)![1];
    expect(args(last(final, 'USER')!)).toEqual([uid]);
    const runs = stages.flatMap((s) => s.own.filter((i) => i.getKeyword() === 'RUN').map((i) => i.getArgumentsContent() ?? '')).join('\n');
    expect(runs).toMatch(/pnpm deploy --filter=@wharf\/launcher --prod/);
    expect(runs).toContain(`chown ${uid}:${uid} /work`);
  });
});

describe('.dockerignore', () => {
  it.each(['node_modules', 'apps/gateway/node_modules', 'dist', 'libs/contracts/dist', '.git', '.wharf', 'apps/gateway/src/generated'])('excludes %s', (p) => {
    expect(ignored(p)).toBe(true);
  });
  it.each(['pnpm-lock.yaml', 'apps/gateway/src/main.ts', 'apps/gateway/prisma/schema.prisma'])('keeps %s', (p) => {
    expect(ignored(p)).toBe(false);
  });
});

describe('docker-compose.yml', () => {
  const compose = parseYaml(read('docker-compose.yml'), { merge: true }) as {
    services: Record<string, { image?: string; build?: { context: string; dockerfile: string; target?: string; args?: Record<string, string> } }>;
  };

  it('is valid against the Compose Specification schema', () => {
    const schemaFile = path.join(path.dirname(require.resolve('dclint/package.json')), 'schemas/compose.schema.json');
    // A draft-07 schema (Ajv's default draft); its `$schema` is spelled with https, which Ajv does not know.
    const { $schema, ...schema } = JSON.parse(fs.readFileSync(schemaFile, 'utf8')) as { $schema: string };
    expect($schema).toContain('draft-07');
    const validate = new Ajv({ allErrors: true, strict: false, validateFormats: false }).compile(schema);
    expect(validate(compose) ? [] : validate.errors).toEqual([]);
    // and it does reject a wrong file
    expect(validate({ services: { gateway: { imagee: 'x', ports: 8080 } } })).toBe(false);
  });

  it('builds every image of deploy/images.json under its name, from its Dockerfile', () => {
    const built = Object.values(compose.services).filter((s) => s.build);
    const entries = [...Object.values(images.services), ...Object.values(images.runtimes)];
    expect(built.map((s) => s.image).sort()).toEqual(entries.map(imageRef).sort());
    for (const s of built) {
      const e = entries.find((x) => imageRef(x) === s.image)!;
      expect([s.build!.context, s.build!.dockerfile]).toEqual(['.', e.dockerfile]);
      if (e.python) expect(s.build!.args).toEqual({ PYTHON_VERSION: e.python });
      if (s.build!.target) expect(stagesOf(e.dockerfile).map((x) => x.name)).toContain(s.build!.target);
    }
  });
});
