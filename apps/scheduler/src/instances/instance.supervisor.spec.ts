import { Logger } from '@nestjs/common';
import { verifyInternalToken } from '@wharf/contracts';
import { admin, alice, bob, SECRET, setupInstances as setup } from '../test-support/memory-instances';

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

  it('moves lastActivityAt to now by its own clock, never back, and ignores unknown ids', async () => {
    const { service, supervisor, driver, clock } = setup();
    const inst = await service.create(alice, { appVersionId: 'av1', visibility: 'PRIVATE' });
    const future = new Date(clock.now() + 3600_000).toISOString();
    driver.records.set(inst.id, { ...driver.records.get(inst.id)!, lastActivityAt: future });
    await supervisor.touch([inst.id, 'unknownid1']);
    expect(driver.records.get(inst.id)!.lastActivityAt).toBe(future);
    clock.advance(2 * 3600_000);
    await supervisor.touch([inst.id]);
    expect(driver.records.get(inst.id)!.lastActivityAt).toBe(new Date(clock.now()).toISOString());
    expect(driver.records.has('unknownid1')).toBe(false);
  });

  describe('idle suspension', () => {
    const MIN = 60_000;
    /** A RUNNING instance whose app sets `timeout` (null: the platform's default). */
    const running = async (env: NodeJS.ProcessEnv = {}, timeout: number | null = null) => {
      const s = setup({ WHARF_SCHEDULER_IDLE_TIMEOUT_MINUTES: '30', WHARF_SCHEDULER_IDLE_GRACE_SECONDS: '60', ...env });
      const inst = await s.service.create(alice, { appVersionId: 'av1', visibility: 'PRIVATE' });
      const r = s.driver.records.get(inst.id)!;
      s.driver.records.set(inst.id, { ...r, status: 'RUNNING', statusReason: null, lastActivityAt: new Date(s.clock.now()).toISOString(), launch: { ...r.launch, idleTimeoutMinutes: timeout } });
      return { ...s, id: inst.id };
    };

    it('suspends after the timeout and the grace, with "idle for N min", and frees the slot', async () => {
      const { supervisor, driver, clock, leases, events, service, id } = await running();
      expect((await service.get(alice, id)).idle).toEqual({ timeoutMinutes: 30, disabledByAdmin: false, keepAliveUntil: null });
      clock.advance(30 * MIN + 59_000); // within the grace: traffic may not be reported yet
      await supervisor.suspendIdle();
      expect(driver.records.get(id)!.status).toBe('RUNNING');
      clock.advance(2_000);
      await supervisor.suspendIdle();
      expect(driver.records.get(id)).toMatchObject({ status: 'SUSPENDED', statusReason: 'idle for 30 min', address: null });
      expect(leases.sets.get('alice')?.has(id)).toBe(false);
      expect(events.at(-1)).toMatchObject({ change: 'STATUS', previousStatus: 'RUNNING', instance: { status: 'SUSPENDED' } });
    });

    it('keeps an instance whose traffic the routers reported', async () => {
      const { supervisor, driver, clock, id } = await running();
      for (let i = 0; i < 5; i++) {
        clock.advance(20 * MIN);
        await supervisor.touch([id]);
        await supervisor.suspendIdle();
        expect(driver.records.get(id)!.status).toBe('RUNNING');
      }
      clock.advance(32 * MIN);
      await supervisor.suspendIdle();
      expect(driver.records.get(id)!.status).toBe('SUSPENDED');
    });

    it("takes the app's InstanceTimeout over the platform's; -1 (app or platform) never suspends", async () => {
      const short = await running({}, 5);
      short.clock.advance(7 * MIN);
      await short.supervisor.suspendIdle();
      expect(short.driver.records.get(short.id)).toMatchObject({ status: 'SUSPENDED', statusReason: 'idle for 5 min' });

      const never = await running({}, -1);
      expect((await never.service.get(alice, never.id)).idle.timeoutMinutes).toBeNull();
      never.clock.advance(365 * 24 * 60 * MIN);
      await never.supervisor.suspendIdle();
      expect(never.driver.records.get(never.id)!.status).toBe('RUNNING');

      const platformNever = await running({ WHARF_SCHEDULER_IDLE_TIMEOUT_MINUTES: '-1' });
      platformNever.clock.advance(365 * 24 * 60 * MIN);
      await platformNever.supervisor.suspendIdle();
      expect(platformNever.driver.records.get(platformNever.id)!.status).toBe('RUNNING');
    });

    it('lets admins, and only admins, turn it off and on for one instance', async () => {
      const { supervisor, driver, clock, service, id } = await running();
      await expect(service.setIdleSuspend(alice, id, false)).rejects.toMatchObject({ code: 'FORBIDDEN' });
      await expect(service.setIdleSuspend(null, id, false)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
      const off = await service.setIdleSuspend(admin, id, false);
      expect(off.idle).toEqual({ timeoutMinutes: null, disabledByAdmin: true, keepAliveUntil: null });
      clock.advance(10 * 24 * 60 * MIN);
      await supervisor.suspendIdle();
      expect(driver.records.get(id)!.status).toBe('RUNNING');
      expect((await service.setIdleSuspend(admin, id, true)).idle.timeoutMinutes).toBe(30);
      await supervisor.suspendIdle();
      expect(driver.records.get(id)!.status).toBe('SUSPENDED');
      await expect(service.setIdleSuspend(admin, 'zzzzzzzzzz', true)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    });

    it("honours the app's keep-alive lease of its own generation, up to MaxKeepAliveMinutes, then counts from its end", async () => {
      const { supervisor, driver, clock, id } = await running({ WHARF_SCHEDULER_MAX_KEEP_ALIVE_MINUTES: '120' });
      const generation = driver.records.get(id)!.generation;
      await expect(supervisor.keepAlive(id, generation, 121)).rejects.toMatchObject({ code: 'INVALID', message: expect.stringMatching(/at most 120 minutes.*MaxKeepAliveMinutes/) });
      await expect(supervisor.keepAlive(id, generation + 1, 60)).rejects.toMatchObject({ code: 'CONFLICT' });
      await expect(supervisor.keepAlive('zzzzzzzzzz', 1, 60)).rejects.toMatchObject({ code: 'NOT_FOUND' });
      const { until } = await supervisor.keepAlive(id, generation, 120);
      expect(Date.parse(until!)).toBe(clock.now() + 120 * MIN);
      clock.advance(119 * MIN);
      await supervisor.suspendIdle();
      expect(driver.records.get(id)!.status).toBe('RUNNING');
      clock.advance(2 * MIN); // the lease ended a minute ago: idle counts from its end
      await supervisor.suspendIdle();
      expect(driver.records.get(id)!.status).toBe('RUNNING');
      clock.advance(31 * MIN); // 32 min after its end: past the 30 min and the minute of grace
      await supervisor.suspendIdle();
      expect(driver.records.get(id)!.status).toBe('SUSPENDED');
    });

    it('ends a lease with 0 minutes', async () => {
      const { supervisor, driver, clock, id } = await running();
      const generation = driver.records.get(id)!.generation;
      await supervisor.keepAlive(id, generation, 600);
      expect(await supervisor.keepAlive(id, generation, 0)).toEqual({ until: null });
      clock.advance(32 * MIN);
      await supervisor.suspendIdle();
      expect(driver.records.get(id)!.status).toBe('SUSPENDED');
    });

    it('leaves instances that are not RUNNING alone', async () => {
      const { supervisor, driver, clock, id } = await running();
      driver.records.set(id, { ...driver.records.get(id)!, status: 'INSTALLING' });
      clock.advance(10 * 24 * 60 * MIN);
      await supervisor.suspendIdle();
      expect(driver.records.get(id)!.status).toBe('INSTALLING');
    });
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
