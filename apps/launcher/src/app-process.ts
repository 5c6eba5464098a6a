import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';

export function canConnect(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host });
    s.setTimeout(1000);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('timeout', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', () => resolve(false));
  });
}

/**
 * Under a memory limit (an address-space limit: `prlimit --as`), threads get this much stack
 * (RLIMIT_STACK) instead of 8 MiB, and glibc keeps at most `LIMITED_MALLOC_ARENAS` malloc arenas
 * (each reserves 64 MiB): otherwise a threaded server (`ThreadingHTTPServer`) runs out of address
 * space at about 20 connections under 512Mi; with these, it holds hundreds.
 */
export const LIMITED_STACK_BYTES = 1024 * 1024;
export const LIMITED_MALLOC_ARENAS = '2';

/** `prlimit` options for a memory limit: the address space, and the stack its threads get. */
export const prlimitArgs = (memoryLimitBytes: number): string[] => [`--as=${memoryLimitBytes}`, `--stack=${LIMITED_STACK_BYTES}`];

/** The command line: `python -m <module>`, under `prlimit` (prlimitArgs) when a memory limit applies. */
export function appCommand(opts: { python: string; module: string; memoryLimitBytes?: number; prlimit?: string }): [string, string[]] {
  const py: [string, string[]] = [opts.python, ['-m', opts.module]];
  if (!opts.memoryLimitBytes || !opts.prlimit) return py;
  return [opts.prlimit, [...prlimitArgs(opts.memoryLimitBytes), '--', py[0], ...py[1]]];
}

/** Where the launcher reaches the app: a loopback port, or the sandbox relay's Unix socket. */
export type AppTarget = { port: number } | { socketPath: string };

/** A started app process. */
export interface StartedProcess {
  child: ChildProcess;
  /** Resolves with the exit code (or the signal's name) once the process is gone. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface RunningApp extends StartedProcess {
  target: AppTarget;
  /** Until the app accepts connections, it exits, or time runs out. */
  ready(timeoutMs: number): Promise<'listening' | 'exited' | 'timeout'>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once it is gone. */
  stop(graceMs: number): Promise<void>;
}

/** An app process that listens on a loopback `port` of this host. */
export function onLoopbackPort(p: StartedProcess, port: number): RunningApp {
  return {
    ...p,
    target: { port },
    ready: (timeoutMs) => waitForListen(port, p, timeoutMs),
    stop: async (graceMs) => {
      if (p.child.exitCode !== null || p.child.signalCode !== null) return;
      p.child.kill('SIGTERM');
      const t = setTimeout(() => p.child.kill('SIGKILL'), graceMs);
      await p.exited;
      clearTimeout(t);
    },
  };
}

export function startApp(opts: {
  command: [string, string[]];
  cwd: string;
  env: Record<string, string>;
  onOutput: (stream: 'out' | 'err', data: Buffer) => void;
}): StartedProcess {
  const [cmd, args] = opts.command;
  const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (d: Buffer) => opts.onOutput('out', d));
  child.stderr!.on('data', (d: Buffer) => opts.onOutput('err', d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('error', () => resolve({ code: 127, signal: null }));
    child.once('close', (code, signal) => resolve({ code, signal }));
  });
  return { child, exited };
}

/** Waits until something accepts connections on `port`, the app exits, or time runs out. */
export async function waitForListen(port: number, app: StartedProcess, timeoutMs: number): Promise<'listening' | 'exited' | 'timeout'> {
  let gone = false;
  void app.exited.then(() => (gone = true));
  const deadline = Date.now() + timeoutMs;
  // A loopback connect costs microseconds: probe every 20 ms for the first 10 s (an app that is up
  // at 200 ms is noticed then, not at the next step of a doubling back-off), then every 200 ms.
  const started = Date.now();
  while (Date.now() < deadline) {
    if (gone) return 'exited';
    if (await canConnect(port)) return 'listening';
    await new Promise((r) => setTimeout(r, Date.now() - started < 10_000 ? 20 : 200));
  }
  return gone ? 'exited' : 'timeout';
}
