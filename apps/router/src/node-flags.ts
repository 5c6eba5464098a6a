import { readFileSync } from 'node:fs';
import path from 'node:path';

/** The node flags the router is meant to start with: `wharf.nodeFlags` of its package.json. */
export function routerNodeFlags(packageJson = path.join(__dirname, '..', 'package.json')): string[] {
  const pkg = JSON.parse(readFileSync(packageJson, 'utf8')) as { wharf?: { nodeFlags?: string[] } };
  return pkg.wharf?.nodeFlags ?? [];
}

/**
 * Those this process was started without. They are start-up flags: node refuses them in
 * NODE_OPTIONS, and V8 ignores them when the process sets them itself (`v8.setFlagsFromString`).
 */
export function missingNodeFlags(execArgv: readonly string[] = process.execArgv, flags = routerNodeFlags()): string[] {
  return flags.filter((f) => !execArgv.includes(f));
}
