import path from 'node:path';
import { zodProblems } from '@wharf/contracts';
import { Launcher } from './launcher';
import { LauncherEnvSchema } from './launcher.env';
import { EXIT_FILE, writeFileAtomic } from './status-reporter';

/** Entry point: `node apps/launcher/dist/main.js`, configured entirely by its environment. */
function main(): void {
  const parsed = LauncherEnvSchema.safeParse(process.env);
  if (!parsed.success) {
    const problems = zodProblems(parsed.error).map((p) => `${p.path}: ${p.message}`);
    const reason = `the launcher's environment is invalid: ${problems.join('; ')}`;
    process.stderr.write(`launcher: ${reason}\n`);
    const stateDir = process.env.WHARF_STATE_DIR;
    if (stateDir) {
      try {
        writeFileAtomic(path.join(stateDir, EXIT_FILE), JSON.stringify({ generation: -1, code: 2, reason, at: new Date().toISOString() }));
      } catch {
        /* best effort */
      }
    }
    process.exit(2);
  }
  const launcher = new Launcher(parsed.data, process.env);
  process.on('uncaughtException', (e) => void launcher.crash(e));
  process.on('unhandledRejection', (e) => void launcher.crash(e));
  void launcher.run();
}

main();
