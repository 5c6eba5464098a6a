import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { kubeBinaries } from './binaries';
import { repositoryRoot, startFakeWharfCluster } from './wharf-cluster';

/**
 * `npm run fake-cluster [-- --dir <folder>] [--namespace <ns>]`: a fake Kubernetes cluster for
 * Wharf on this machine (see libs/testing/README.md), until Ctrl-C. Its kubeconfig is written to
 * `<folder>/kubeconfig` (default `.wharf/fake-cluster/` in the repository), its volumes under
 * `<folder>/volumes/`; both are removed when it stops.
 */
const USAGE = 'usage: node libs/testing/dist/kube/fake-cluster-main.js [--dir <folder>] [--namespace <namespace>]';

function parseArgs(argv: string[]): { dir: string; namespace?: string } {
  let dir: string | undefined;
  let namespace: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s, 2);
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined || v === '') fail(`${flag} needs a value\n${USAGE}`);
      return v;
    };
    if (flag === '--dir') dir = resolve(value());
    else if (flag === '--namespace') namespace = value();
    else if (flag === '--help' || flag === '-h') {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    } else fail(`unknown argument "${argv[i]}"\n${USAGE}`);
  }
  return { dir: dir ?? join(repositoryRoot(), '.wharf', 'fake-cluster'), namespace };
}

function fail(message: string): never {
  process.stderr.write(`fake-cluster: ${message}\n`);
  process.exit(2);
}

/** The API server of an existing kubeconfig in `dir`, when it still answers: another fake cluster runs on this folder. */
async function runningServer(dir: string): Promise<string | undefined> {
  let text: string;
  try {
    text = readFileSync(join(dir, 'kubeconfig'), 'utf8');
  } catch {
    return undefined;
  }
  const server = /^\s*server:\s*(\S+)\s*$/m.exec(text)?.[1];
  if (!server) return undefined;
  try {
    return (await fetch(`${server}/healthz`, { signal: AbortSignal.timeout(1000) })).ok ? server : undefined;
  } catch {
    return undefined;
  }
}

async function main(): Promise<void> {
  const { dir, namespace } = parseArgs(process.argv.slice(2));
  const other = await runningServer(dir);
  if (other) fail(`another fake cluster already runs with ${join(dir, 'kubeconfig')} (${other}): stop it, or pass --dir <another folder>`);

  const cluster = await startFakeWharfCluster({ stateDir: dir, namespace });
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`\n${signal}: stopping the fake cluster (killing the pods' processes, removing the volumes)…\n`);
    cluster.stop().then(
      () => process.exit(0),
      (e: unknown) => {
        process.stderr.write(`fake-cluster: stopping failed: ${e instanceof Error ? e.message : String(e)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);

  const kubeconfig = cluster.kubeconfigPath;
  process.stdout.write(
    [
      `Fake Wharf cluster: API server ${cluster.kube.url}, namespace ${cluster.namespace}, Service IPs on 127.77.0.0/16.`,
      `  kubeconfig: ${kubeconfig}`,
      `  start Wharf against it (in another terminal, at the repository root):`,
      `    WHARF_SCHEDULER_DRIVER=kubernetes KUBECONFIG=${kubeconfig} npm start`,
      '',
    ].join('\n'),
  );
  try {
    const { kubectl } = await kubeBinaries();
    process.stdout.write(`  kubectl (v1.35): ${kubectl}\n    ${kubectl} --kubeconfig ${kubeconfig} get deploy,svc,pvc,secret -l app.kubernetes.io/managed-by=wharf\n`);
  } catch (e) {
    process.stdout.write(`  kubectl: not available (${e instanceof Error ? e.message : String(e)}); any kubectl works: kubectl --kubeconfig ${kubeconfig} get deploy,svc,pvc,secret -l app.kubernetes.io/managed-by=wharf\n`);
  }
  if (!stopping) process.stdout.write('Ctrl-C stops it.\n');
}

main().catch((e: unknown) => fail(e instanceof Error ? e.message : String(e)));
