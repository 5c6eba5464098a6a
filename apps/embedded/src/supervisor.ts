import type { ChildProcess } from 'node:child_process';

/** How `pnpm start` restarts a service that dies (`[Embedded] Restart*`, `CrashLoop*`). */
export interface RestartPolicy {
  /** Delay before the first restart; doubled at each further one in a row. */
  delayMs: number;
  /** The longest delay between restarts. */
  maxDelayMs: number;
  /** A service that stayed up this long counts as healthy again: its next restart waits `delayMs`. */
  stableMs: number;
  /** This many exits within `crashLoopWindowMs` are reported as a crash loop (it is still restarted). */
  crashLoopExits: number;
  crashLoopWindowMs: number;
}

export interface SupervisedService {
  name: string;
  /** Starts the service's process (its output wired by the caller). */
  spawn: () => ChildProcess;
  /** Whether the (re)started service answers its readiness check. */
  ready: () => Promise<boolean>;
}

/**
 * One service of `pnpm start`, kept running the way systemd or Kubernetes would: a process that
 * dies after start-up is started again after a delay that doubles while it keeps dying (up to
 * `maxDelayMs`, back to `delayMs` once it has stayed up for `stableMs`), and a crash loop is said
 * out loud at every restart, never hidden. While it is away the other services go on: the router
 * serves instances it knows, the API answers 503 for what needs the missing service.
 *
 * Before `supervise()` (during start-up) an exit is the caller's to handle: a service that cannot
 * start at all (bad configuration, port taken) should stop `pnpm start` with its message, not loop.
 */
export class Supervisor {
  private child: ChildProcess;
  private supervising = false;
  private stopping = false;
  private startedAt: number;
  /** Restarts in a row without a stable run in between (sets the delay). */
  private streak = 0;
  private exits: number[] = [];
  private timer: NodeJS.Timeout | null = null;
  private readyPoll: NodeJS.Timeout | null = null;
  restarts = 0;

  constructor(
    private readonly service: SupervisedService,
    private readonly policy: RestartPolicy,
    /** Called when the process exits before `supervise()`: start-up failed. */
    private readonly onStartFailure: (name: string, how: string) => void,
    private readonly log: (line: string) => void = (l) => console.error(l),
    private readonly now: () => number = Date.now,
  ) {
    this.startedAt = this.now();
    this.child = this.start();
  }

  get name(): string {
    return this.service.name;
  }

  get process(): ChildProcess {
    return this.child;
  }

  /** Start-up is over: from now on an exit is restarted. */
  supervise(): void {
    this.supervising = true;
  }

  /** Stops supervising (shutdown): no restart is pending or made after this. */
  stop(): void {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.readyPoll) clearTimeout(this.readyPoll);
    this.timer = this.readyPoll = null;
  }

  /** Whether the current process has exited (and no restart brought a new one yet). */
  get exited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  private start(): ChildProcess {
    const child = this.service.spawn();
    this.startedAt = this.now();
    child.once('exit', (code, signal) => this.onExit(child, code, signal));
    return child;
  }

  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (child !== this.child || this.stopping) return;
    const how = signal ?? `exit code ${code}`;
    if (!this.supervising) return this.onStartFailure(this.service.name, how);
    const now = this.now();
    const upMs = now - this.startedAt;
    if (upMs >= this.policy.stableMs) this.streak = 0;
    this.streak++;
    this.exits = [...this.exits.filter((t) => now - t < this.policy.crashLoopWindowMs), now];
    const delay = Math.min(this.policy.maxDelayMs, this.policy.delayMs * 2 ** (this.streak - 1));
    this.log(`${this.service.name} exited (${how}) after ${seconds(upMs)}; restarting it in ${seconds(delay)}`);
    if (this.exits.length >= this.policy.crashLoopExits) {
      this.log(
        `${this.service.name} is crash-looping: ${this.exits.length} exits in the last ${seconds(now - this.exits[0]!)} (last: ${how}); ` +
          `restarts wait up to ${seconds(this.policy.maxDelayMs)} while this goes on — its own lines above say why it stops`,
      );
    }
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.stopping) return;
      this.restarts++;
      this.child = this.start();
      this.waitReady(this.child, this.now());
    }, delay);
  }

  /** Says when a restarted service answers again (or nothing, if it exits first: that exit says it). */
  private waitReady(child: ChildProcess, since: number): void {
    const poll = async () => {
      this.readyPoll = null;
      if (this.stopping || child !== this.child || child.exitCode !== null || child.signalCode !== null) return;
      if (await this.service.ready()) {
        if (child === this.child && !this.stopping) this.log(`${this.service.name} is ready again (restart ${this.restarts}, ${seconds(this.now() - since)} after it started)`);
        return;
      }
      this.readyPoll = setTimeout(() => void poll(), 200);
    };
    void poll();
  }
}

const seconds = (ms: number): string => (ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`);
