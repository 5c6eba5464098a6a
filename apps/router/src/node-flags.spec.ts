import { readFileSync } from 'node:fs';
import path from 'node:path';
import { missingNodeFlags, routerNodeFlags } from './node-flags';

describe('[Router] node flags', () => {
  it('starts without V8 memory reducer, in every way it is started', () => {
    expect(routerNodeFlags()).toEqual(['--no-memory-reducer']);
    const pkg = JSON.parse(readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as { scripts: { start: string } };
    expect(pkg.scripts.start).toBe('node --no-memory-reducer dist/main.js');
  });

  it('names the flags a process was started without', () => {
    expect(missingNodeFlags(['--no-memory-reducer', '--inspect-port=0'])).toEqual([]);
    expect(missingNodeFlags([])).toEqual(['--no-memory-reducer']);
    expect(missingNodeFlags(['--max-old-space-size=512'], ['--no-memory-reducer', '--max-old-space-size=512'])).toEqual(['--no-memory-reducer']);
  });
});
