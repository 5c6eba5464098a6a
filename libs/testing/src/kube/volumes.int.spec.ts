import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { rec } from './json';
import { startFakeKubeApiServer, type FakeKubeApiServer, type KubeObject } from './fake-apiserver';
import { startFakeKubelet, type ContainerContext, type FakeKubelet } from './kubelet';

function until<T>(get: () => T | undefined | false, what: string, ms = 8000): Promise<T> {
  const start = Date.now();
  return new Promise((ok, ko) => {
    const tick = () => {
      const v = get();
      if (v !== undefined && v !== false) return ok(v);
      if (Date.now() - start > ms) return ko(new Error(`timed out waiting for ${what}`));
      setTimeout(tick, 20);
    };
    tick();
  });
}

/** Appends a line to `$DATA/log` and writes `$SCRATCH/mark`, then stays up. */
const WRITER = `
const fs = require('node:fs');
fs.appendFileSync(process.env.DATA + '/log', process.env.HOSTNAME + '\\n');
fs.writeFileSync(process.env.SCRATCH + '/mark', 'x');
fs.writeFileSync('cwd-file', 'x');
require('node:http').createServer((q, s) => s.end()).listen(Number(process.env.PORT), '127.0.0.1');
`;

const podSpec = {
  containers: [
    {
      name: 'app',
      image: 'node:20',
      volumeMounts: [
        { name: 'data', mountPath: '/data' },
        { name: 'scratch', mountPath: '/scratch/' },
        { name: 'data', mountPath: '/sub', subPath: 'nested/dir' },
      ],
    },
  ],
  volumes: [
    { name: 'data', persistentVolumeClaim: { claimName: 'files' } },
    { name: 'scratch', emptyDir: {} },
    { name: 'config', configMap: { name: 'unsupported' } },
  ],
};

describe('fake kubelet volumes', () => {
  let kube: FakeKubeApiServer;
  let kubelet: FakeKubelet;
  const contexts: ContainerContext[] = [];
  const ns = 'wharf';

  beforeAll(async () => {
    kube = await startFakeKubeApiServer();
    kubelet = startFakeKubelet(kube, {
      run: (_pod, _container, ctx) => {
        contexts.push(ctx);
        return { command: process.execPath, args: ['-e', WRITER], cwd: ctx.dir, env: { DATA: ctx.mounts['/data'], SCRATCH: ctx.mounts['/scratch'] } };
      },
    });
  });
  afterAll(() => kube.stop());

  const pod = (name: string) => kube.get('pods', ns, name);
  const running = (name: string) => until(() => rec(pod(name)?.status).phase === 'Running' && kubelet.pid(ns, name) !== undefined && existsSync(join(kubelet.volumesDir, 'pvcs', ns, 'files', 'log')), `${name} running`);

  it('a pod whose PVC is missing stays Pending with the scheduler reason, and starts once the PVC exists', async () => {
    kube.controllers.create('pods', ns, { metadata: { name: 'one' }, spec: podSpec });
    const scheduled = await until(() => (rec(pod('one')?.status).conditions as { type: string; status: string; reason?: string; message?: string }[] | undefined)?.find((c) => c.type === 'PodScheduled'), 'PodScheduled');
    expect(scheduled).toMatchObject({ status: 'False', reason: 'Unschedulable', message: '0/1 nodes are available: persistentvolumeclaim "files" not found.' });
    const events = kube.list('events', ns).filter((e: KubeObject) => rec(e.involvedObject).name === 'one');
    expect(events.map((e) => [e.reason, e.message])).toEqual([
      ['FailedScheduling', '0/1 nodes are available: persistentvolumeclaim "files" not found. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.'],
    ]);
    expect(rec(pod('one')?.spec).nodeName).toBeUndefined();

    kube.controllers.create('persistentvolumeclaims', ns, { metadata: { name: 'files' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } });
    await running('one');
    expect(rec(kube.get('persistentvolumeclaims', ns, 'files')?.status)).toMatchObject({ phase: 'Bound', capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'] });
  });

  it('run() gets the mounts (emptyDir per pod, PVC per claim, subPath) and a folder of its own; the pod folders go with the pod, the PVC stays', async () => {
    const v = kubelet.volumesDir;
    const ctx = contexts[contexts.length - 1];
    expect(ctx).toEqual({
      mounts: { '/data': join(v, 'pvcs', ns, 'files'), '/scratch': join(v, 'pods', ns, 'one', 'scratch'), '/sub': join(v, 'pvcs', ns, 'files', 'nested', 'dir') },
      dir: join(v, 'containers', ns, 'one', 'app'),
    });
    expect(kubelet.volumeDir(ns, 'one', 'scratch')).toBe(join(v, 'pods', ns, 'one', 'scratch'));
    expect(kubelet.volumeDir(ns, 'one', 'config')).toBeUndefined();
    await until(() => existsSync(join(ctx.mounts['/scratch'], 'mark')) && existsSync(join(ctx.dir, 'cwd-file')), 'the files written');

    kube.controllers.remove('pods', ns, 'one');
    await until(() => !existsSync(join(v, 'pods', ns, 'one')) && !existsSync(join(v, 'containers', ns, 'one')), 'the pod folders removed');
    kube.controllers.create('pods', ns, { metadata: { name: 'two' }, spec: podSpec });
    await until(() => readFileSync(join(v, 'pvcs', ns, 'files', 'log'), 'utf8') === 'one\ntwo\n', 'the second pod appending to the same claim');
  });

  it('a deleted PVC keeps its folder while a pod uses it; stop() removes the folder the kubelet made', async () => {
    const dir = join(kubelet.volumesDir, 'pvcs', ns, 'files');
    kube.controllers.remove('persistentvolumeclaims', ns, 'files');
    await new Promise((r) => setTimeout(r, 100));
    expect(existsSync(dir)).toBe(true);
    kube.controllers.remove('pods', ns, 'two');
    await until(() => !existsSync(dir), 'the claim folder removed');

    const root = kubelet.volumesDir;
    expect(existsSync(root)).toBe(true);
    await kubelet.stop();
    expect(existsSync(root)).toBe(false);
  });
});
