import { EventEmitter } from 'node:events';
import type { ChildProcess } from 'node:child_process';
import { Supervisor, type RestartPolicy } from './supervisor';

/** A child process as far as the supervisor looks at it: exit code or signal, and the exit event. */
class FakeChild extends EventEmitter {
  exitCode: number | null = null;
  signalCode: NodeJS.Signals | null = null;
  die(signal: NodeJS.Signals | null, code: number | null = null): void {
    this.signalCode = signal;
    this.exitCode = code;
    this.emit('exit', code, signal);
  }
}

const POLICY: RestartPolicy = { delayMs: 1000, maxDelayMs: 8000, stableMs: 60_000, crashLoopExits: 3, crashLoopWindowMs: 120_000 };

function setup(ready = true) {
  jest.useFakeTimers();
  let now = 0;
  const children: FakeChild[] = [];
  const lines: string[] = [];
  const failures: string[] = [];
  const s = new Supervisor(
    {
      name: 'scheduler',
      spawn: () => {
        const c = new FakeChild();
        children.push(c);
        return c as unknown as ChildProcess;
      },
      ready: async () => ready,
    },
    POLICY,
    (name, how) => failures.push(`${name} ${how}`),
    (l) => lines.push(l),
    () => now,
  );
  const advance = async (ms: number) => {
    now += ms;
    await jest.advanceTimersByTimeAsync(ms);
  };
  return { s, children, lines, failures, advance, last: () => children[children.length - 1]! };
}

afterEach(() => jest.useRealTimers());

describe('Supervisor', () => {
  it('hands an exit during start-up to the caller, and restarts nothing', async () => {
    const { children, failures, lines, advance } = setup();
    children[0]!.die(null, 1);
    await advance(60_000);
    expect(failures).toEqual(['scheduler exit code 1']);
    expect(children).toHaveLength(1);
    expect(lines).toEqual([]);
  });

  it('restarts after start-up with a doubling delay up to the longest, and says when it answers again', async () => {
    const { s, children, lines, advance, last } = setup();
    s.supervise();
    await advance(5000);
    last().die('SIGKILL');
    expect(lines).toEqual(['scheduler exited (SIGKILL) after 5.0 s; restarting it in 1.0 s']);
    await advance(999);
    expect(children).toHaveLength(1); // not before the delay
    await advance(1);
    expect(children).toHaveLength(2);
    await advance(0);
    expect(lines[1]).toBe('scheduler is ready again (restart 1, 0.0 s after it started)');
    const delays: string[] = [];
    for (let n = 0; n < 4; n++) {
      last().die(null, 1);
      delays.push(/restarting it in ([\d.]+) s/.exec(lines.filter((l) => l.includes('exited')).pop()!)![1]!);
      await advance(10_000);
    }
    expect(delays).toEqual(['2.0', '4.0', '8.0', '8.0']);
    expect(s.restarts).toBe(5);
  });

  it('reports a crash loop at each exit while it lasts, and starts over once the service stayed up', async () => {
    const { s, lines, advance, last } = setup();
    s.supervise();
    for (let n = 0; n < 3; n++) {
      last().die('SIGSEGV');
      await advance(10_000);
    }
    const loops = lines.filter((l) => l.includes('crash-looping'));
    expect(loops).toEqual([
      'scheduler is crash-looping: 3 exits in the last 20 s (last: SIGSEGV); restarts wait up to 8.0 s while this goes on — its own lines above say why it stops',
    ]);
    // up for longer than stableMs, then out of the window: the next exit is an ordinary one again
    await advance(200_000);
    last().die('SIGKILL');
    expect(lines[lines.length - 1]).toMatch(/^scheduler exited \(SIGKILL\) after 2\d\d s; restarting it in 1\.0 s$/);
  });

  it('restarts nothing once stopped, not even what was already scheduled', async () => {
    const { s, children, advance, last } = setup();
    s.supervise();
    last().die('SIGKILL');
    s.stop();
    await advance(60_000);
    expect(children).toHaveLength(1);
    expect(s.exited).toBe(true);
  });

  it('keeps asking until a restarted service answers', async () => {
    let answers = false;
    const { s, lines, advance, last } = setup();
    // the policy's service answers through this flag from here on
    (s as unknown as { service: { ready: () => Promise<boolean> } }).service.ready = async () => answers;
    s.supervise();
    last().die('SIGKILL');
    await advance(1000);
    await advance(1000);
    expect(lines.some((l) => l.includes('ready again'))).toBe(false);
    answers = true;
    await advance(200);
    expect(lines[lines.length - 1]).toMatch(/^scheduler is ready again \(restart 1, 1\.2 s after it started\)$/);
  });
});
