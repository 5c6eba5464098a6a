import type { LauncherCredentials } from '@wharf/contracts/launcher';
import type { InstanceRecord } from '../instances/instance.record';

/**
 * How instances run. The scheduler has no database: each driver keeps the instance records
 * itself (process: JSON files in each instance's folder; Kubernetes: labels and annotations on the
 * objects it creates) and is the only code that touches processes, pods, files or the cluster.
 *
 * Every operation on one instance is atomic with respect to every replica (process: a lock file;
 * Kubernetes: resourceVersion preconditions), and every mutation is given as a function of the
 * current record so it can be re-applied on a lost race.
 */
export interface InstanceDriver {
  readonly name: 'process' | 'kubernetes';
  readonly capabilities: DriverCapabilities;

  /** Prepares storage; at boot. */
  init(): Promise<void>;
  close(): Promise<void>;
  /** True when the driver can do its work (for /readyz). */
  ping(): Promise<boolean>;
  /** Optional push: call `onChange` when something may have changed (a launcher exited, a watch fired), to reconcile early. */
  subscribe?(onChange: () => void): void;

  /**
   * Stores a new record (status QUEUED) and starts its launcher, as one step: a crash in between
   * leaves a record that `reconcile` reports as `unstarted`. Answers the record after the start
   * (PROVISIONING, with its address). CONFLICT when the id is taken.
   */
  create(record: InstanceRecord, plan: PlanFor): Promise<InstanceRecord>;
  get(id: string): Promise<InstanceRecord | null>;
  list(): Promise<InstanceRecord[]>;
  /** Changes the stored record; `mutate` answers the new record or null for "no change". Null when the instance is gone. */
  update(id: string, mutate: Mutator): Promise<RecordChange | null>;
  /**
   * (Re)starts the launcher: applies `mutate` (which bumps the generation; null = nothing to do),
   * stops a running launcher, builds the plan for the new record, starts it. Keeps the volume.
   */
  start(id: string, mutate: Mutator, plan: PlanFor): Promise<RecordChange>;
  /** Stops the launcher and everything it started, keeps the volume, stores `mutate`'s record (null = nothing to do). */
  stop(id: string, mutate: Mutator): Promise<RecordChange>;
  /** Stops everything and removes every trace (process group, files / pods, volumes, secrets). Answers the last record. */
  terminate(id: string): Promise<InstanceRecord | null>;
  /**
   * Looks at every instance: adopts launchers that still run (after a restart of the scheduler),
   * records launcher progress, marks dead launchers FAILED (or SUSPENDED when they were stopped
   * cleanly by someone else), finishes interrupted terminations, reports records whose launcher
   * never started. Called at boot and then periodically, by every replica: idempotent.
   */
  reconcile(): Promise<Observation[]>;
  /** The last `tail` lines of the instance's log. */
  readLogs(id: string, tail: number): Promise<string[]>;
  /** The last `tail` lines, then new lines as they come, until `signal` aborts or the instance is gone. */
  followLogs(id: string, tail: number, signal: AbortSignal): AsyncIterable<string>;
}

export interface DriverCapabilities {
  /** GPUs an instance may have at most (process: 0). */
  maxGpus: number;
  /** A warning added to every instance when memory limits are not enforced (e.g. prlimit missing). */
  memoryWarning: string | null;
}

/** Everything a launcher needs besides what the driver derives from the record. Never stored (holds tokens and secret values). */
export interface LaunchPlan {
  /** The launcher's own variables the scheduler signs for this start (part of the launcher contract, `@wharf/contracts/launcher`). */
  env: LauncherCredentials;
  /** The app's `[[Env]]` plain values: given to the app only, never to the launcher's own environment. */
  appEnv: Record<string, string>;
  /**
   * The app's `[[Env]]` entries that name admin secrets, checked (present, granted) and resolved.
   * The process driver gives the values to the app with `appEnv` (secrets last); the Kubernetes
   * driver has the pod read them from their Secrets (`secretKeyRef`), never copying a value.
   */
  appSecrets: ResolvedSecret[];
  /**
   * The app's `[[File]]` entries with their contents (secret ones checked and resolved like
   * `appSecrets`), each mounted read-only at its path: the process driver writes them to a folder
   * of the instance's that the app cannot write, for the sandbox to bind; the Kubernetes driver
   * mounts literal ones from the start's Secret and secret ones from their own Secrets.
   */
  appFiles: AppFile[];
}

/** One `[[File]]` of a start. */
export interface AppFile {
  /** Absolute path in the instance. */
  path: string;
  /** The contents (UTF-8); never logged, never stored in the record. */
  value: string;
  /** The admin secret the contents come from (absent for a literal `Value`). */
  secret?: { name: string; key: string };
}

export interface ResolvedSecret {
  /** The app's variable. */
  env: string;
  secret: string;
  key: string;
  value: string;
}

/** The app's whole `[[Env]]` with secret values (what an app without a secret store of its own is given). */
export const appEnvWithSecrets = (plan: LaunchPlan): Record<string, string> => ({
  ...plan.appEnv,
  ...Object.fromEntries(plan.appSecrets.map((s) => [s.env, s.value])),
});

export type PlanFor = (record: InstanceRecord) => Promise<LaunchPlan>;
export type Mutator = (current: InstanceRecord) => InstanceRecord | null;

export interface RecordChange {
  before: InstanceRecord;
  after: InstanceRecord;
}

export type Observation =
  /** A change the driver saw and stored (launcher progress, launcher death). */
  | ({ kind: 'changed' } & RecordChange)
  /** A live record whose launcher never started (the scheduler died in between): start it. */
  | { kind: 'unstarted'; record: InstanceRecord }
  /** An interrupted termination the driver finished. */
  | { kind: 'terminated'; record: InstanceRecord };

export const INSTANCE_DRIVER = Symbol('INSTANCE_DRIVER');
