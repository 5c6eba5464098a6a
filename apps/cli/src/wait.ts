import type { Schemas } from '@wharf/api';
import type { Connection } from './client';
import { CliError } from './errors';
import type { Term } from './term';

type Instance = Schemas['Instance'];

const SETTLED = new Set<Instance['status']>(['RUNNING', 'FAILED', 'SUSPENDED', 'TERMINATED']);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** "STARTING: installing requirements (3/5)": an instance's status and the launcher's step, as one line. */
export const statusLine = (i: Instance) => `${i.appName}@${i.appVersion} (${i.id}) ${i.status}${i.statusReason ? `: ${i.statusReason}` : ''}`;

/**
 * Follows an instance until it is RUNNING, showing each status and launcher step as it comes (a
 * spinner on a terminal, a line per change when piped). Resolves with the running instance;
 * FAILED, SUSPENDED or TERMINATED, or no RUNNING within `timeoutMs`, is a CliError that says why
 * and what to look at.
 */
export async function waitRunning(c: Connection, term: Term, id: string, opts: { timeoutMs?: number; intervalMs?: number } = {}): Promise<Instance> {
  const deadline = Date.now() + (opts.timeoutMs ?? 10 * 60_000);
  const spinner = term.spinner(`waiting for instance ${id}…`);
  try {
    for (;;) {
      const i = await c.call(c.api.GET('/api/v1/instances/{id}', { params: { path: { id } } }));
      spinner.text(statusLine(i));
      if (i.status === 'RUNNING') {
        spinner.succeed(`${i.appName}@${i.appVersion} is running: ${i.url}`);
        return i;
      }
      if (SETTLED.has(i.status)) {
        throw new CliError(`instance ${id} is ${i.status}${i.statusReason ? `: ${i.statusReason}` : ''} (see \`wharf instance logs ${id}\`)`);
      }
      if (Date.now() > deadline) throw new CliError(`instance ${id} is still ${i.status} after ${Math.round((opts.timeoutMs ?? 600_000) / 1000)} s (see \`wharf instance logs ${id}\`)`);
      await sleep(opts.intervalMs ?? 1000);
    }
  } catch (e) {
    spinner.fail(`instance ${id} did not start`);
    throw e;
  }
}
