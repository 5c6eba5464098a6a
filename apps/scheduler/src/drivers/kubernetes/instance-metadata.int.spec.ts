import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { kubeBinaries, startFakeKubeApiServer, type FakeKubeApiServer, type KubeBinaries } from '@wharf/testing';
import type { InstanceRecord } from '../../instances/instance.record';
import { instanceRecordFixture } from '../../test-support/instance-record';
import { instanceLabels, MANAGED_SELECTOR, ownerLabel, readRecord, recordAnnotations } from './instance-metadata';

jest.setTimeout(120_000);

/**
 * What an operator sees of instances with `kubectl` alone: the driver's labels select an
 * instance, an owner's instances, or all of Wharf's, and a Deployment's record reads back. Against
 * the fake API server (the real REST protocol) with the real kubectl.
 */
const record = (id: string, sub: string): InstanceRecord => instanceRecordFixture({ id, owner: { sub, name: sub } });

describe('instance labels with kubectl (fake API server)', () => {
  let kube: FakeKubeApiServer;
  let bin: KubeBinaries;
  const kubectl = async (...args: string[]) =>
    (await promisify(execFile)(bin.kubectl, ['--kubeconfig', kube.kubeconfigPath, ...args], { timeout: 30_000 })).stdout;

  beforeAll(async () => {
    [kube, bin] = await Promise.all([startFakeKubeApiServer(), kubeBinaries()]);
    const put = async (r: InstanceRecord) => {
      const res = await fetch(`${kube.url}/apis/apps/v1/namespaces/${kube.namespace}/deployments`, {
        method: 'POST',
        headers: { authorization: `Bearer ${kube.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name: `wharf-${r.id}`, labels: instanceLabels(r), annotations: recordAnnotations(r) },
          spec: {
            replicas: 1,
            selector: { matchLabels: { 'wharf.dev/instance': r.id } },
            template: { metadata: { labels: instanceLabels(r) }, spec: { containers: [{ name: 'launcher', image: r.launch.image }] } },
          },
        }),
      });
      expect(res.status).toBe(201);
    };
    await put(record('aaaaaaaaaa', 'svc:alice'));
    await put(record('bbbbbbbbbb', 'svc:alice'));
    await put(record('cccccccccc', '5b0c5e7e-0f4c-4a45-9d7f-8c1f0b4c2a11'));
  });

  afterAll(async () => {
    await kube?.stop();
  });

  it("selects all of Wharf's, one owner's and one instance's objects", async () => {
    const names = async (selector: string) => (await kubectl('get', 'deploy', '-l', selector, '-o', 'name')).trim().split('\n').sort();
    expect(await names(MANAGED_SELECTOR)).toEqual(['deployment.apps/wharf-aaaaaaaaaa', 'deployment.apps/wharf-bbbbbbbbbb', 'deployment.apps/wharf-cccccccccc']);
    expect(await names(`wharf.dev/owner=${ownerLabel('svc:alice')}`)).toEqual(['deployment.apps/wharf-aaaaaaaaaa', 'deployment.apps/wharf-bbbbbbbbbb']);
    expect(await names('wharf.dev/instance=cccccccccc')).toEqual(['deployment.apps/wharf-cccccccccc']);
  });

  it('reads the record back from what the API server stored', async () => {
    const stored = JSON.parse(await kubectl('get', 'deploy', 'wharf-cccccccccc', '-o', 'json')) as { metadata: Parameters<typeof readRecord>[0] };
    expect(readRecord(stored.metadata)).toEqual({ ok: true, record: record('cccccccccc', '5b0c5e7e-0f4c-4a45-9d7f-8c1f0b4c2a11') });
  });
});
