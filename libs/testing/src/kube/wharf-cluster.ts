import { existsSync, mkdtempSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { isRec, rec, type Rec } from './json';
import { startFakeKubeApiServer, type FakeKubeApiServer, type KubeObject } from './fake-apiserver';
import { startFakeKubelet, type ContainerContext, type ContainerProcess, type FakeKubelet, type FakeKubeletOptions } from './kubelet';

/** The launcher's command in Wharf's runtime images (the Kubernetes driver's default `launcherCommand`). */
export const DEFAULT_LAUNCHER_COMMAND: readonly string[] = ['node', '/opt/wharf/launcher/dist/main.js'];

export interface FakeWharfClusterOptions {
  /** The namespace created at start and set in the kubeconfig (default `wharf`). */
  namespace?: string;
  /** Chooses a failure for a new pod (see `FakeKubeletOptions.fail`). */
  fail?: FakeKubeletOptions['fail'];
  /** The built launcher run for a launcher container (default `apps/launcher/dist/main.js` of this repository). */
  launcherPath?: string;
  /** A container whose `command` is exactly this runs the launcher (default {@link DEFAULT_LAUNCHER_COMMAND}). */
  launcherCommand?: readonly string[];
  /**
   * Where the kubeconfig (`<stateDir>/kubeconfig`) and the volumes (`<stateDir>/volumes/`) go:
   * the volumes folder is emptied at start, and `stop()` removes both. Default: a temporary
   * folder, removed by `stop()`. One cluster per folder.
   */
  stateDir?: string;
  /** Service cluster IPs (default `127.77.0.0/16`). */
  serviceCidr?: string;
  startDelayMs?: number;
  restartDelayMs?: number;
  probeIntervalMs?: number;
}

export interface FakeWharfCluster {
  kube: FakeKubeApiServer;
  kubelet: FakeKubelet;
  /** `<stateDir>/kubeconfig` */
  kubeconfigPath: string;
  namespace: string;
  /** Stops the kubelet (kills every pod's processes, closes the kube-proxy) and the API server, removes the kubeconfig and the volumes. */
  stop(): Promise<void>;
}

/** The repository root: the nearest folder up from this file with `pnpm-workspace.yaml`. */
export function repositoryRoot(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, 'pnpm-workspace.yaml'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('startFakeWharfCluster: repository root (pnpm-workspace.yaml) not found; pass launcherPath');
    dir = up;
  }
  return dir;
}

/** Element by element (not `util.isDeepStrictEqual`, which also compares prototypes: arrays from another realm, e.g. a Jest sandbox, never match). */
function sameCommand(command: unknown, expected: readonly string[]): boolean {
  return Array.isArray(command) && command.length === expected.length && command.every((part, i) => part === expected[i]);
}

/** `value` with a container path under a mount rewritten to the host folder (longest mount first); undefined when none applies. */
function hostPath(value: string, mounts: [string, string][]): string | undefined {
  for (const [mountPath, host] of mounts) {
    if (value === mountPath) return host;
    if (value.startsWith(`${mountPath}/`)) return host + value.slice(mountPath.length);
  }
  return undefined;
}

/**
 * How a launcher container runs on this machine: `process.execPath <launcherPath> [args]` in the
 * container's own folder, with every literal env value that names a mounted container path
 * (`WHARF_WORK_DIR=/work`, `HOME=/work`, `WHARF_VOLUME_DIR=/data`, …) rewritten to the volume's
 * host folder, and `TMPDIR` on the `/tmp` mount when there is one.
 */
export function launcherProcess(container: Rec, ctx: ContainerContext, launcherPath: string): ContainerProcess {
  const mounts = Object.entries(ctx.mounts).sort(([a], [b]) => b.length - a.length);
  const env: Record<string, string> = {};
  for (const e of Array.isArray(container.env) ? (container.env as unknown[]).map(rec) : []) {
    if (typeof e.name !== 'string' || typeof e.value !== 'string') continue;
    const host = hostPath(e.value, mounts);
    if (host !== undefined) env[e.name] = host;
  }
  if (ctx.mounts['/tmp']) env.TMPDIR = ctx.mounts['/tmp'];
  const args = Array.isArray(container.args) ? container.args.map(String) : [];
  return { command: process.execPath, args: [launcherPath, ...args], env, cwd: ctx.dir };
}

/**
 * A fake API server and a fake kubelet that runs Wharf's launcher: every container whose
 * `command` is the launcher's runs the repository's built launcher as a local process (volumes
 * as host folders, Services reachable on their loopback cluster IPs through the kube-proxy);
 * every other container is simulated. Enough to run the scheduler's Kubernetes driver, and the
 * router in front of it, end to end on one machine.
 */
export async function startFakeWharfCluster(options: FakeWharfClusterOptions = {}): Promise<FakeWharfCluster> {
  const launcherPath = resolve(options.launcherPath ?? join(repositoryRoot(), 'apps', 'launcher', 'dist', 'main.js'));
  if (!existsSync(launcherPath)) throw new Error(`startFakeWharfCluster: the launcher is not built (${launcherPath} is missing): run \`npx tsc -b apps/launcher/tsconfig.json\` (or \`pnpm run build\`)`);
  const launcherCommand = [...(options.launcherCommand ?? DEFAULT_LAUNCHER_COMMAND)];
  const ownStateDir = options.stateDir === undefined;
  const stateDir = options.stateDir === undefined ? mkdtempSync(join(tmpdir(), 'wharf-fake-cluster-')) : resolve(options.stateDir);
  const volumesDir = join(stateDir, 'volumes');
  const kubeconfigPath = join(stateDir, 'kubeconfig');
  // Volumes left by a cluster that did not stop cleanly belong to objects no longer stored.
  await rm(volumesDir, { recursive: true, force: true });
  await mkdir(volumesDir, { recursive: true });

  const kube = await startFakeKubeApiServer({ namespace: options.namespace, serviceCidr: options.serviceCidr });
  const kubelet = startFakeKubelet(kube, {
    fail: options.fail,
    volumesDir,
    startDelayMs: options.startDelayMs,
    restartDelayMs: options.restartDelayMs,
    probeIntervalMs: options.probeIntervalMs,
    run: (_pod: KubeObject, container: Rec, ctx: ContainerContext) =>
      isRec(container) && sameCommand(container.command, launcherCommand) ? launcherProcess(container, ctx, launcherPath) : null,
  });
  await writeFile(kubeconfigPath, kube.kubeconfig, { mode: 0o600 });

  let stopping: Promise<void> | undefined;
  return {
    kube,
    kubelet,
    kubeconfigPath,
    namespace: kube.namespace,
    stop: () =>
      (stopping ??= (async () => {
        await kube.stop();
        await Promise.all([rm(kubeconfigPath, { force: true }), rm(volumesDir, { recursive: true, force: true })]);
        if (ownStateDir) await rm(stateDir, { recursive: true, force: true });
      })()),
  };
}
