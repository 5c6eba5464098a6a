import { instanceRecordFixture } from '../../test-support/instance-record';
import { judge, type DeploymentEntry, type JudgeInput, type PodEntry } from './instance-state';

const T0 = Date.parse('2026-12-01T10:00:00.000Z');
const record = instanceRecordFixture({ status: 'PROVISIONING', statusReason: 'Creating the pod', generation: 2, updatedAt: new Date(T0).toISOString() });
const deployment: DeploymentEntry = {
  name: 'wharf-abcdefghij',
  uid: 'u',
  rv: '1',
  replicas: 1,
  createdAt: new Date(T0).toISOString(),
  deleting: false,
  reading: { ok: true, record },
  startedGeneration: 2,
  startedAt: new Date(T0).toISOString(),
};
const pod = (over: Partial<PodEntry> = {}, container: Partial<NonNullable<PodEntry['container']>> | null = {}): PodEntry => ({
  name: 'wharf-abcdefghij-x',
  rv: '2',
  instance: 'abcdefghij',
  generation: 2,
  createdAt: new Date(T0).toISOString(),
  deleting: false,
  phase: 'Running',
  unschedulable: null,
  container: container && { ready: true, restartCount: 0, running: true, waiting: null, terminated: null, lastTerminated: null, ...container },
  ...over,
});
const input = (over: Partial<JudgeInput> = {}): JudgeInput => ({ record, deployment, pods: [pod()], now: T0 + 1000, startTimeoutSeconds: 300, unstartedGraceMs: 30_000, ...over });

describe('what the Kubernetes driver concludes from an instance’s pods', () => {
  it('leaves a healthy start to the launcher’s own reports', () => {
    expect(judge(input())).toEqual({ kind: 'none' });
  });

  it('says what a pending pod waits for, once, and fails it at the start timeout', () => {
    const waiting = pod({ phase: 'Pending', unschedulable: { reason: 'Unschedulable', message: '0/3 nodes are available: 3 Insufficient memory.' } }, null);
    const v = judge(input({ pods: [waiting] }));
    expect(v).toEqual({ kind: 'change', patch: { statusReason: 'waiting for a node that can run it: 0/3 nodes are available: 3 Insufficient memory.' }, stop: false, logsOf: null });
    const again = judge(input({ pods: [waiting], record: { ...record, statusReason: 'waiting for a node that can run it: 0/3 nodes are available: 3 Insufficient memory.' } }));
    expect(again).toEqual({ kind: 'none' });
    const late = judge(input({ pods: [waiting], now: T0 + 301_000 }));
    expect(late).toMatchObject({ kind: 'change', stop: true, patch: { status: 'FAILED', statusReason: expect.stringMatching(/^the instance did not start within 300 s: waiting for a node/) } });
  });

  it('retries one failed pull, fails on the back-off with what an admin must check', () => {
    expect(judge(input({ pods: [pod({ phase: 'Pending' }, { running: false, waiting: { reason: 'ErrImagePull', message: 'not found' } })] }))).toMatchObject({
      kind: 'change',
      patch: { statusReason: expect.stringMatching(/failed once, retrying/) },
      stop: false,
    });
    expect(judge(input({ pods: [pod({ phase: 'Pending' }, { running: false, waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image' } })] }))).toMatchObject({
      kind: 'change',
      stop: true,
      patch: { status: 'FAILED', statusReason: expect.stringMatching(/image wharf\/python:3.11 could not be pulled.*pull secret/) },
    });
  });

  it('names OOMKilled with the memory limit, and a crash loop with the exit code, asking for the last log lines', () => {
    const oom = judge(input({ pods: [pod({}, { running: false, restartCount: 1, waiting: { reason: 'CrashLoopBackOff', message: '' }, lastTerminated: { reason: 'OOMKilled', exitCode: 137, message: '' } })] }));
    expect(oom).toMatchObject({ kind: 'change', stop: true, logsOf: 'wharf-abcdefghij-x', patch: { status: 'FAILED', statusReason: expect.stringContaining('memory limit (256Mi)') } });
    const crash = judge(input({ pods: [pod({}, { running: false, restartCount: 3, waiting: { reason: 'CrashLoopBackOff', message: '' }, lastTerminated: { reason: 'Error', exitCode: 2, message: '' } })] }));
    expect(crash).toMatchObject({ kind: 'change', stop: true, patch: { statusReason: 'the launcher container keeps crashing (exit code 2, Error; restarted 3 times)' } });
  });

  it('ignores pods of an earlier start and pods being deleted', () => {
    const old = pod({ generation: 1 }, { running: false, waiting: { reason: 'CrashLoopBackOff', message: '' } });
    const leaving = pod({ deleting: true }, { running: false, waiting: { reason: 'ImagePullBackOff', message: '' } });
    expect(judge(input({ pods: [old, leaving, pod({ name: 'new', createdAt: new Date(T0 + 5).toISOString() })] }))).toEqual({ kind: 'none' });
  });

  it('scales down what is not live, suspends what was scaled to 0 by hand, restarts a start that never happened', () => {
    const failed = { ...record, status: 'FAILED' as const };
    expect(judge(input({ record: failed, deployment: { ...deployment, reading: { ok: true, record: failed } } }))).toEqual({ kind: 'scale-down' });
    expect(judge(input({ deployment: { ...deployment, replicas: 0 } }))).toMatchObject({ kind: 'change', stop: false, patch: { status: 'SUSPENDED' } });
    const never = { ...deployment, startedGeneration: 1 };
    expect(judge(input({ deployment: never }))).toEqual({ kind: 'none' }); // another replica may be starting it
    expect(judge(input({ deployment: never, now: T0 + 31_000 }))).toEqual({ kind: 'unstarted' });
  });
});
