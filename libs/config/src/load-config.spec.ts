import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { ConfigError, envKey, loadSection } from './load-config';
import { parseByteSize } from './platform.config';

const Schema = z.object({
  Port: z.number().int().default(8080),
  Name: z.string().default('x'),
  Enabled: z.boolean().default(false),
  MaxInstancesVisitor: z.number().int().min(0).default(5),
  Registries: z.array(z.string()).default([]),
});

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function withFile(text: string): NodeJS.ProcessEnv {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wharf-config-'));
  dirs.push(dir);
  const file = path.join(dir, 'wharf.toml');
  writeFileSync(file, text);
  return { WHARF_CONFIG: file };
}

const problemsOf = (f: () => unknown): string[] => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
};

describe('loadSection', () => {
  it('uses defaults with no file and no env', () => {
    expect(loadSection('Scheduler', Schema, {})).toEqual({ Port: 8080, Name: 'x', Enabled: false, MaxInstancesVisitor: 5, Registries: [] });
  });

  it('reads the section from WHARF_CONFIG and lets env override each key in upper snake case', () => {
    const env = { ...withFile('[Scheduler]\nPort = 9000\nName = "file"\nMaxInstancesVisitor = 2\n'), WHARF_SCHEDULER_MAX_INSTANCES_VISITOR: '3', WHARF_SCHEDULER_ENABLED: 'true', WHARF_SCHEDULER_NAME: '123', WHARF_SCHEDULER_REGISTRIES: '["a.io", "b.io"]' };
    expect(loadSection('Scheduler', Schema, env)).toEqual({ Port: 9000, Name: '123', Enabled: true, MaxInstancesVisitor: 3, Registries: ['a.io', 'b.io'] });
  });

  it('names the key, the env variable and the reason for every bad value', () => {
    const problems = problemsOf(() =>
      loadSection('Scheduler', Schema, { ...withFile('[Scheduler]\nPort = "eighty"\nPrt = 1\n'), WHARF_SCHEDULER_MAX_INSTANCES_VISITOR: 'abc' }),
    );
    expect(problems).toHaveLength(3);
    expect(problems.join('\n')).toMatch(/Scheduler\.Prt: unknown key/);
    expect(problems.join('\n')).toMatch(/Scheduler\.Port \(env WHARF_SCHEDULER_PORT\): .*number/);
    expect(problems.join('\n')).toMatch(/Scheduler\.MaxInstancesVisitor \(from env WHARF_SCHEDULER_MAX_INSTANCES_VISITOR\)/);
  });

  it('reports TOML syntax errors with line and column, and unreadable files', () => {
    expect(problemsOf(() => loadSection('Scheduler', Schema, withFile('[Scheduler\nPort = 1')))[0]).toMatch(/wharf\.toml:1:\d+: not valid TOML/);
    expect(problemsOf(() => loadSection('Scheduler', Schema, { WHARF_CONFIG: '/nonexistent/wharf.toml' }))[0]).toMatch(/cannot read/);
  });

  it('maps key names to env names', () => {
    expect(envKey('Repository', 'MaxVersionsPerUser')).toBe('WHARF_REPOSITORY_MAX_VERSIONS_PER_USER');
    expect(envKey('Router', 'AdminsOpenPrivate')).toBe('WHARF_ROUTER_ADMINS_OPEN_PRIVATE');
    expect(envKey('Gateway', 'S3Endpoint')).toBe('WHARF_GATEWAY_S3_ENDPOINT');
  });
});

describe('parseByteSize', () => {
  it.each([
    ['200MB', 200e6],
    ['512KiB', 512 * 1024],
    ['1GiB', 1024 ** 3],
    ['10', 10],
  ])('%s', (s, n) => expect(parseByteSize(s)).toBe(n));
});
