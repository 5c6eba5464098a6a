import { Logger } from '@nestjs/common';
import { verifyInternalToken } from '@wharf/contracts';
import { alice, bob, SECRET, setupInstances as setup } from '../test-support/memory-instances';

beforeAll(() => Logger.overrideLogger(false));

const statuses = (events: unknown[]) => events.map((e) => (e as { change: string; instance: { status: string } }).instance.status);
const changes = (events: unknown[]) => events.map((e) => (e as { change: string }).change);

describe('InstanceSupervisor', () => {
  it('applies launcher reports of the current generation only; FAILED frees the slot', async () => {
    const { service, supervisor, leases, events, updates } = setup();
    const inst = await service.create(alice, { appVersionId: 'av1', visibility: 'PRIVATE' });
    await expect(supervisor.reportStatus(inst.id, { generation: 7, status: 'RUNNING', reason: null })).rejects.toMatchObject({ code: 'CONFLICT' });
    await supervisor.reportStatus(inst.id, { generation: 1, status: 'INSTALLING', reason: 'Fetching the bundle' });
    await supervisor.reportStatus(inst.id, { generation: 1, status: 'RUNNING', reason: null });
    await supervisor.reportStatus(inst.id, { generation: 1, status: 'RUNNING', reason: null }); // duplicate: no event
    await supervisor.reportStatus(inst.id, { generation: 1, status: 'FAILED', reason: 'boom' });
    expect((await service.get(alice, inst.id)).status).toBe('FAILED');
    expect(leases.sets.get('alice')?.has(inst.id)).toBe(false);
    expect(statuses(events)).toEqual(['PROVISIONING', 'INSTALLING', 'RUNNING', 'FAILED']);
    // the same changes without the address (checked one by one in setup), the launcher's step included
    expect(statuses(updates)).toEqual(statuses(events));
    expect(updates[1]).toMatchObject({ change: 'STATUS', previousStatus: 'PROVISIONING', instance: { status: 'INSTALLING', statusReason: 'Fetching the bundle' } });
    await expect(supervisor.reportStatus('zzzzzzzzzz', { generation: 1, status: 'RUNNING', reason: null })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('starts launches a dead scheduler left unstarted, with a new generation', async () => {
    const { service, supervisor, driver } = setup();
    const inst = await service.create(alice, { appVersionId: 'av1', visibility: 'PRIVATE' });
    const r = { ...driver.records.get(inst.id)!, status: 'QUEUED' as const };
    driver.records.set(inst.id, r);
    driver.observations = [{ kind: 'unstarted', record: r }];
    await supervisor.reconcile();
    expect(driver.records.get(inst.id)).toMatchObject({ generation: 2, status: 'PROVISIONING' });
    expect(verifyInternalToken(SECRET, driver.plans[1]!.env.WHARF_STATUS_TOKEN, `instance:status:${inst.id}:2`)).not.toBeNull();
  });

  it('marks an unstarted launch FAILED, with the reason, when it cannot be started; its slot goes back', async () => {
    const { service, supervisor, driver, leases, events } = setup();
    const inst = await service.create(alice, { appVersionId: 'av1', visibility: 'PRIVATE' });
    const r = driver.records.get(inst.id)!;
    driver.start = async () => {
      throw new Error('no free port');
    };
    driver.observations = [{ kind: 'unstarted', record: r }];
    await supervisor.reconcile();
    expect(driver.records.get(inst.id)).toMatchObject({ status: 'FAILED', statusReason: 'could not start the instance: no free port', address: null });
    expect(leases.sets.get('alice')?.has(inst.id)).toBe(false);
    expect(statuses(events)).toEqual(['PROVISIONING', 'FAILED']);
  });

  it('applies observed changes (a dead launcher frees the slot) and terminations (slot back, TERMINATED event)', async () => {
    const { service, supervisor, driver, leases, events } = setup();
    const a = await service.create(alice, { appVersionId: 'av1', visibility: 'PRIVATE' });
    const b = await service.create(bob, { appVersionId: 'av1', visibility: 'PRIVATE' });
    const before = driver.records.get(a.id)!;
    const after = { ...before, status: 'FAILED' as const, statusReason: 'the launcher died', address: null };
    driver.records.set(a.id, after);
    const gone = driver.records.get(b.id)!;
    driver.records.delete(b.id);
    driver.observations = [
      { kind: 'changed', before, after },
      { kind: 'terminated', record: gone },
    ];
    await supervisor.reconcile();
    expect(leases.sets.get('alice')?.has(a.id)).toBe(false);
    expect(leases.sets.get('bob')?.has(b.id)).toBe(false);
    expect(changes(events)).toEqual(['CREATED', 'CREATED', 'STATUS', 'TERMINATED']);
    expect(statuses(events).slice(2)).toEqual(['FAILED', 'TERMINATED']);
  });

  it('moves lastActivityAt forward only, never into the future, and ignores unknown ids and bad times', async () => {
    const { service, supervisor, driver } = setup();
    const inst = await service.create(alice, { appVersionId: 'av1', visibility: 'PRIVATE' });
    driver.records.set(inst.id, { ...driver.records.get(inst.id)!, lastActivityAt: '2026-01-01T00:00:05.000Z' });
    await supervisor.touch([inst.id, 'unknownid1'], '2026-01-01T00:00:01.000Z');
    expect(driver.records.get(inst.id)!.lastActivityAt).toBe('2026-01-01T00:00:05.000Z');
    await supervisor.touch([inst.id], 'not a time');
    expect(driver.records.get(inst.id)!.lastActivityAt).toBe('2026-01-01T00:00:05.000Z');
    await supervisor.touch([inst.id], '2026-01-01T00:00:09.000Z');
    expect(driver.records.get(inst.id)!.lastActivityAt).toBe('2026-01-01T00:00:09.000Z');
    await supervisor.touch([inst.id], '2999-01-01T00:00:00.000Z');
    expect(driver.records.get(inst.id)!.lastActivityAt < '2999').toBe(true);
  });

  it('reconciles leases to the live instances per owner, with the grace period', async () => {
    const { service, supervisor, leases } = setup({ WHARF_SCHEDULER_LEASE_GRACE_SECONDS: '7' });
    const a = await service.create(alice, { appVersionId: 'av1', visibility: 'PRIVATE' });
    const s = await service.create(alice, { appVersionId: 'av1', visibility: 'PRIVATE' });
    await service.suspend(alice, s.id);
    await supervisor.reconcileLeases();
    expect(leases.reconciled).toEqual({ live: new Map([['alice', new Set([a.id])]]), graceMs: 7000 });
  });

  it('suspends every live instance (SuspendOnShutdown), with the reason, and frees their slots', async () => {
    const { service, supervisor, driver, leases } = setup();
    const a = await service.create(alice, { appVersionId: 'av1', visibility: 'PRIVATE' });
    await supervisor.suspendAll('the platform was stopped');
    expect(driver.records.get(a.id)).toMatchObject({ status: 'SUSPENDED', statusReason: 'the platform was stopped' });
    expect(leases.sets.get('alice')?.size).toBe(0);
  });
});
