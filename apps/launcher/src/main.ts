import path from 'node:path';
import { EXIT_FILE, type LauncherEnv, type LauncherExit, type LauncherStandbyEnv, type StandbyAssignment } from '@wharf/contracts/launcher';
import { Launcher } from './launcher';
import { parseLauncherEnv } from './launcher.env';
import { PythonStandby } from './python-standby';
import { writeFileAtomic } from './status-reporter';

/** Entry point: `node apps/launcher/dist/main.js`, configured entirely by its environment. */
function main(pythonStandby: PythonStandby | null = null): void {
  const parsed = parseLauncherEnv(process.env);
  if (!parsed.success) {
    const problems = parsed.problems.map((p) => `${p.path}: ${p.message}`);
    const reason = `the launcher's environment is invalid: ${problems.join('; ')}`;
    process.stderr.write(`launcher: ${reason}\n`);
    const stateDir = (process.env as Partial<Record<keyof LauncherEnv, string>>).WHARF_STATE_DIR;
    if (stateDir) {
      try {
        const exit: LauncherExit = { generation: -1, code: 2, reason, at: new Date().toISOString() };
        writeFileAtomic(path.join(stateDir, EXIT_FILE), JSON.stringify(exit));
      } catch {
        /* best effort */
      }
    }
    pythonStandby?.discard();
    process.exit(2);
  }
  const launcher = new Launcher(parsed.data, process.env, undefined, pythonStandby);
  process.on('uncaughtException', (e) => void launcher.crash(e));
  process.on('unhandledRejection', (e) => void launcher.crash(e));
  void launcher.run();
}

/**
 * Standby mode (process driver, `WHARF_STANDBY=1`): started before any instance needs it, with
 * its modules loaded, it waits for one JSON line on stdin, `{ env, cwd }`: the environment and
 * working folder a launcher started for that instance would have had. End-of-file first means
 * the scheduler that started it is gone: exit quietly.
 */
function awaitAssignment(): Promise<StandbyAssignment | null> {
  return new Promise((resolve) => {
    let buf = '';
    const done = (v: StandbyAssignment | null) => {
      process.stdin.removeAllListeners('data');
      process.stdin.destroy();
      resolve(v);
    };
    process.stdin.setEncoding('utf8');
    process.stdin.on('data', (chunk: string) => {
      buf += chunk;
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      try {
        const msg = JSON.parse(buf.slice(0, nl)) as { env?: unknown; cwd?: unknown };
        const env = msg.env as Record<string, unknown> | undefined;
        if (!env || typeof env !== 'object' || typeof msg.cwd !== 'string' || Object.values(env).some((v) => typeof v !== 'string')) {
          throw new Error('expected {"env": {NAME: "value"}, "cwd": "/path"}');
        }
        done({ env: env as Record<string, string>, cwd: msg.cwd });
      } catch (e) {
        process.stderr.write(`launcher: invalid standby assignment: ${e instanceof Error ? e.message : String(e)}\n`);
        process.exit(2);
      }
    });
    process.stdin.once('end', () => done(null));
    process.stdin.once('error', () => done(null));
  });
}

/** Set only for a standby launcher (see StandbyAssignment in @wharf/contracts/launcher). */
const standbyEnv = process.env as Partial<LauncherStandbyEnv>;
if (standbyEnv.WHARF_STANDBY === '1') {
  // With WHARF_STANDBY_PYTHON, the runtime's interpreter starts now too, in the environment every
  // app gets (PATH, LANG, unbuffered output), with HOME on a folder without user site-packages
  // (as the instance's own HOME is).
  const python = standbyEnv.WHARF_STANDBY_PYTHON;
  const pythonStandby = python
    ? new PythonStandby(python, {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        LANG: process.env.LANG ?? 'C.UTF-8',
        PYTHONUNBUFFERED: '1',
        HOME: standbyEnv.WHARF_STANDBY_DIR ?? '/',
      })
    : null;
  void awaitAssignment().then((a) => {
    if (!a) {
      pythonStandby?.discard();
      process.exit(0);
    }
    for (const k of Object.keys(process.env)) delete process.env[k];
    Object.assign(process.env, a.env);
    process.chdir(a.cwd);
    main(pythonStandby);
  });
} else {
  main();
}
