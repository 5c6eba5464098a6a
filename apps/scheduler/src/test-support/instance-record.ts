import type { InstanceRecord } from '../instances/instance.record';

/** An instance record as a driver stores it (a running `hello` of svc:alice's); `over` changes fields, `launch` fields too. */
export function instanceRecordFixture(over: Partial<Omit<InstanceRecord, 'launch'>> & { launch?: Partial<InstanceRecord['launch']> } = {}): InstanceRecord {
  const { launch, ...rest } = over;
  return {
    id: 'abcdefghij',
    appVersionId: 'av_01HZY8',
    appName: 'hello',
    appVersion: '1.0.0',
    appOwner: { sub: 'svc:alice', name: 'alice' },
    owner: { sub: 'svc:alice', name: 'alice' },
    visibility: 'PRIVATE',
    runtime: 'python-3.11',
    status: 'RUNNING',
    statusReason: null,
    address: null,
    createdAt: '2026-12-01T00:00:00.000Z',
    updatedAt: '2026-12-01T00:00:00.000Z',
    lastActivityAt: '2026-12-01T00:00:00.000Z',
    warnings: [],
    generation: 1,
    idempotencyKey: null,
    ...rest,
    launch: {
      module: 'hello.app',
      sha256: 'a'.repeat(64),
      image: 'wharf/python:3.11',
      python: 'python3',
      memoryLimitBytes: 268435456,
      memoryReservationBytes: null,
      gpuCount: 0,
      volumeMount: null,
      env: [],
      files: [],
      ...launch,
    },
  };
}
