import { Logger } from '@nestjs/common';
import { verifyInternalToken, type WharfError } from '@wharf/contracts';
import { admin, alice, author, bob, SECRET, setupInstances as setup, vic } from '../test-support/memory-instances';
import { idempotentInstanceId } from './instance.record';

beforeAll(() => Logger.overrideLogger(false));

describe('InstanceService', () => {
  it('creates: asks the repository as the caller, takes a slot, starts with scoped tokens and resolved env', async () => {
    const { service, driver, leases, calls, events } = setup();
    const inst = await service.create(alice, { appVersionId: 'av1', visibility: 'PRIVATE' });
    expect(calls).toEqual([{ subject: 'repository.app.get.v1', caller: alice }]);
    expect(inst).toMatchObject({ status: 'PROVISIONING', appName: 'hello', runtime: 'python-3.11', owner: { sub: 'alice', name: 'Alice' } });
    expect(leases.sets.get('alice')).toEqual(new Set([inst.id]));
    const env = driver.plans[0]!.env;
    expect(env).toMatchObject({ WHARF_BUNDLE_URL: 'http://127.0.0.1:8082/internal/bundles/av1' });
    // the app's own, apart from the launcher's: values, and the secrets it names resolved where they are
    expect(driver.plans[0]!.appEnv).toEqual({ GREETING: 'hi' });
    expect(driver.plans[0]!.appSecrets).toEqual([expect.objectContaining({ env: 'TOKEN', value: 'v' })]);
    expect(verifyInternalToken(SECRET, env.WHARF_BUNDLE_TOKEN, 'bundle:read:av1')).toMatchObject({ caller: null });
    expect(verifyInternalToken(SECRET, env.WHARF_STATUS_TOKEN, `instance:status:${inst.id}:1`)).not.toBeNull();
    expect(JSON.stringify(driver.records.get(inst.id))).not.toContain('"v"');
    expect(events).toEqual([expect.objectContaining({ change: 'CREATED', previousStatus: null })]);
  });

  it('refuses over the limit, naming it, without starting anything', async () => {
    const { service, driver } = setup();
    await service.create(alice, { appVersionId: 'av1', visibility: 'PRIVATE' });
    await service.create(alice, { appVersionId: 'av1', visibility: 'PRIVATE' });
    const e = await service.create(alice, { appVersionId: 'av1', visibility: 'PRIVATE' }).catch((x: WharfError) => x);
    expect(e).toMatchObject({ code: 'LIMIT_EXCEEDED', message: expect.stringMatching(/already have 2 running instances; full-access users may run at most 2/) });
    expect(driver.records.size).toBe(2);
  });

  it('gives the slot back when the driver cannot start, and refuses missing secrets before anything starts', async () => {
    const { service, driver, leases, secrets } = setup();
    driver.failCreate = true;
    await expect(service.create(alice, { appVersionId: 'av1', visibility: 'PRIVATE' })).rejects.toThrow('spawn failed');
    expect(leases.sets.get('alice')?.size).toBe(0);
    driver.failCreate = false;
    secrets.values = {};
    await expect(service.create(alice, { appVersionId: 'av1', visibility: 'PRIVATE' })).rejects.toMatchObject({ code: 'INVALID' });
    expect(leases.sets.get('alice')?.size ?? 0).toBe(0);
  });

  it('answers the same instance for a repeated idempotency key', async () => {
    const { service, driver } = setup();
    const a = await service.create(alice, { appVersionId: 'av1', visibility: 'PRIVATE', idempotencyKey: 'k1' });
    const b = await service.create(alice, { appVersionId: 'av1', visibility: 'PRIVATE', idempotencyKey: 'k1' });
    expect(b.id).toBe(a.id);
    expect(driver.records.size).toBe(1);
  });

  it('answers one instance to concurrent creates with one idempotency key (one slot, one start)', async () => {
    const { service, driver, leases } = setup();
    const all = await Promise.all([1, 2, 3, 4, 5].map(() => service.create(alice, { appVersionId: 'av1', visibility: 'PRIVATE', idempotencyKey: 'k2' })));
    expect(new Set(all.map((i) => i.id)).size).toBe(1);
    expect(driver.records.size).toBe(1);
    expect(leases.sets.get('alice')?.size).toBe(1);
    // another key, or another user with the same key, is another instance
    expect((await service.create(alice, { appVersionId: 'av1', visibility: 'PRIVATE', idempotencyKey: 'k3' })).id).not.toBe(all[0]!.id);
    expect((await service.create(bob, { appVersionId: 'av1', visibility: 'PRIVATE', idempotencyKey: 'k2' })).id).not.toBe(all[0]!.id);
  });

  it('hides instances from strangers and lets only owners manage them', async () => {
    const { service } = setup();
    const inst = await service.create(alice, { appVersionId: 'av1', visibility: 'PRIVATE' });
    await expect(service.get(bob, inst.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(service.get(null, inst.id)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    expect((await service.logs(author, inst.id, 10)).lines).toEqual(['a line']);
    await expect(service.suspend(author, inst.id)).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });

  it('pages lists newest first with an opaque cursor', async () => {
    const { service, driver } = setup({ WHARF_SCHEDULER_MAX_INSTANCES_FULL_ACCESS: '0' });
    for (let i = 0; i < 5; i++) await service.create(alice, { appVersionId: 'av1', visibility: 'PRIVATE' });
    let t = 0;
    for (const r of driver.records.values()) driver.records.set(r.id, { ...r, createdAt: `2026-01-01T00:00:0${t++}Z` });
    const p1 = await service.list(alice, { scope: 'mine', limit: 2 });
    const p2 = await service.list(alice, { scope: 'mine', limit: 2, cursor: p1.nextCursor! });
    const p3 = await service.list(alice, { scope: 'mine', limit: 2, cursor: p2.nextCursor! });
    const all = [...p1.items, ...p2.items, ...p3.items].map((i) => i.createdAt);
    expect(all).toEqual([...all].sort().reverse());
    expect(new Set(all).size).toBe(5);
    expect(p3.nextCursor).toBeNull();
    await expect(service.list(alice, { scope: 'mine', limit: 2, cursor: 'garbage' })).rejects.toMatchObject({ code: 'INVALID' });
  });

  it("never answers another user's instance to an idempotency key (an id collision), and leaves nothing behind", async () => {
    const { service, driver, leases } = setup();
    const taken = await service.create(bob, { appVersionId: 'av1', visibility: 'PRIVATE' });
    // alice's key derives to the id bob's instance already has
    const id = idempotentInstanceId('alice', 'k-collide');
    const record = driver.records.get(taken.id)!;
    driver.records.delete(taken.id);
    driver.records.set(id, { ...record, id });
    const e = await service.create(alice, { appVersionId: 'av1', visibility: 'PRIVATE', idempotencyKey: 'k-collide' }).catch((x: WharfError) => x);
    expect(e).toMatchObject({ code: 'CONFLICT' });
    expect((e as Error).message).not.toMatch(/bob|hello|av1/i);
    expect((e as Error).message).not.toContain(id);
    expect(leases.sets.get('alice')?.size ?? 0).toBe(0);
    expect(driver.records.get(id)!.owner.sub).toBe('bob');
  });

  it("refuses another user's instance that wins the create race for the same id (and gives the slot back)", async () => {
    const { service, driver, leases } = setup();
    const id = idempotentInstanceId('alice', 'k-race');
    const bobs = await service.create(bob, { appVersionId: 'av1', visibility: 'PRIVATE' });
    const theirs = { ...driver.records.get(bobs.id)!, id };
    // bob's record appears between alice's lookup and her create
    const create = driver.create.bind(driver);
    driver.create = async (r, plan) => {
      driver.records.set(id, theirs);
      return create(r, plan);
    };
    await expect(service.create(alice, { appVersionId: 'av1', visibility: 'PRIVATE', idempotencyKey: 'k-race' })).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(leases.sets.get('alice')?.size ?? 0).toBe(0);
    expect(driver.records.get(id)!.owner.sub).toBe('bob');
  });

  it('answers a visitor whom a tag admits to an ALL_USERS instance (as the router lets them in), others not', async () => {
    const { service, granted } = setup();
    const inst = await service.create(alice, { appVersionId: 'av1', visibility: 'ALL_USERS' });
    await expect(service.get(vic, inst.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    granted.add('vic');
    expect(await service.get(vic, inst.id)).toMatchObject({ id: inst.id });
    await expect(service.logs(vic, inst.id, 10)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(service.suspend(vic, inst.id)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await service.setVisibility(alice, inst.id, 'PRIVATE');
    await expect(service.get(vic, inst.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('treats PUBLIC as ALL_USERS unless the platform allows PUBLIC instances', async () => {
    const off = setup();
    const a = await off.service.create(alice, { appVersionId: 'av1', visibility: 'PRIVATE' });
    off.driver.records.set(a.id, { ...off.driver.records.get(a.id)!, visibility: 'PUBLIC' }); // made PUBLIC before it was turned off
    await expect(off.service.get(vic, a.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const on = setup({ WHARF_SCHEDULER_ALLOW_PUBLIC_INSTANCES: 'true' });
    const b = await on.service.create(alice, { appVersionId: 'av1', visibility: 'PUBLIC' });
    expect(await on.service.get(vic, b.id)).toMatchObject({ id: b.id });
  });

  it('shows the status reason (the last log lines) only to those who read logs, and never the address', async () => {
    const { service, supervisor, granted } = setup();
    granted.add('vic');
    const inst = await service.create(alice, { appVersionId: 'av1', visibility: 'ALL_USERS' });
    await supervisor.reportStatus(inst.id, { generation: 1, status: 'FAILED', reason: 'exited 1\nTraceback: API_KEY=abc' });
    for (const c of [alice, author, admin]) expect((await service.get(c, inst.id)).statusReason).toContain('Traceback');
    for (const c of [bob, vic]) {
      const seen = await service.get(c, inst.id);
      expect(seen).toMatchObject({ status: 'FAILED', statusReason: expect.stringMatching(/stopped with an error/) });
      expect(JSON.stringify(seen)).not.toContain('Traceback');
    }
    expect(await service.get(alice, inst.id)).not.toHaveProperty('address');
    expect((await service.list(alice, { scope: 'mine', limit: 10 })).items[0]).not.toHaveProperty('address');
    const { instances } = await service.route([inst.id]);
    expect(instances[0]).toHaveProperty('address');
    expect(instances[0]!.statusReason).toContain('Traceback');
  });

  describe('routing modes', () => {
    const modesSetup = (env: NodeJS.ProcessEnv = {}) => {
      const s = setup({ WHARF_SCHEDULER_MAX_INSTANCES_FULL_ACCESS: '5', ...env });
      const base = s.apps.get('av1')!;
      s.apps.set('bv1', { ...base, id: 'bv1', version: '1.1.0', runtime: { ...base.runtime, routingMode: 'BASE_URL' } });
      s.apps.set('dv1', { ...base, id: 'dv1', version: '1.2.0', runtime: { ...base.runtime, routingMode: 'DOMAIN' } });
      return s;
    };

    it("serves an app in the platform's mode unless it names one the platform offers", async () => {
      const { service, driver } = modesSetup({ WHARF_SCHEDULER_ROUTING_MODES: '["DOMAIN","BASE_URL"]' });
      const plain = await service.create(alice, { appVersionId: 'av1', visibility: 'PRIVATE' });
      expect(plain).toMatchObject({ routingMode: 'DOMAIN', basePath: '/', url: `http://${plain.id}.apps.localhost:8081` });
      const based = await service.create(alice, { appVersionId: 'bv1', visibility: 'PRIVATE' });
      expect(based).toMatchObject({ routingMode: 'BASE_URL', basePath: `/instance/${based.id}/`, url: `http://apps.localhost:8081/instance/${based.id}/` });
      expect(driver.records.get(based.id)).toMatchObject({ routingMode: 'BASE_URL' });
      // the router's copy and the gateway's share-link lookup agree
      expect((await service.route([based.id])).instances[0]).toMatchObject({ routingMode: 'BASE_URL', basePath: `/instance/${based.id}/` });
      expect(await service.locate([based.id, plain.id, 'zzzzzzzzzz'])).toEqual({
        instances: [
          { id: based.id, routingMode: 'BASE_URL', basePath: `/instance/${based.id}/` },
          { id: plain.id, routingMode: 'DOMAIN', basePath: '/' },
        ],
      });
    });

    it('BASE_URL as the platform default; an app may still ask for DOMAIN when offered', async () => {
      const { service } = modesSetup({ WHARF_SCHEDULER_ROUTING_MODE: 'BASE_URL', WHARF_SCHEDULER_ROUTING_MODES: '["BASE_URL","DOMAIN"]' });
      expect(await service.create(alice, { appVersionId: 'av1', visibility: 'PRIVATE' })).toMatchObject({ routingMode: 'BASE_URL' });
      expect(await service.create(alice, { appVersionId: 'dv1', visibility: 'PRIVATE' })).toMatchObject({ routingMode: 'DOMAIN' });
    });

    it('refuses a mode the platform does not offer, saying which it does, before taking a slot or starting anything', async () => {
      const { service, driver, leases } = modesSetup();
      const e = await service.create(alice, { appVersionId: 'bv1', visibility: 'PRIVATE' }).catch((x: WharfError) => x);
      expect(e).toMatchObject({
        code: 'INVALID',
        message: expect.stringMatching(/hello 1\.1\.0 asks to be served in BASE_URL mode \(\[Runtime\] RoutingMode.*it serves DOMAIN\).*Scheduler\.RoutingModes/),
        details: { routingMode: 'BASE_URL', routingModes: ['DOMAIN'] },
      });
      expect(driver.records.size).toBe(0);
      expect(leases.sets.get('alice')?.size ?? 0).toBe(0);
    });

    it("an upgrade moves the instance to the new version's mode, and refuses one the platform does not offer", async () => {
      const both = modesSetup({ WHARF_SCHEDULER_ROUTING_MODES: '["DOMAIN","BASE_URL"]' });
      const i = await both.service.create(alice, { appVersionId: 'av1', visibility: 'PRIVATE' });
      expect(await both.service.upgrade(alice, { id: i.id, appVersionId: 'bv1' })).toMatchObject({ routingMode: 'BASE_URL', basePath: `/instance/${i.id}/` });
      expect(await both.service.upgrade(alice, { id: i.id, appVersionId: 'av1' })).toMatchObject({ routingMode: 'DOMAIN', basePath: '/' });

      const only = modesSetup();
      const j = await only.service.create(alice, { appVersionId: 'av1', visibility: 'PRIVATE' });
      await expect(only.service.upgrade(alice, { id: j.id, appVersionId: 'bv1' })).rejects.toMatchObject({ code: 'INVALID', details: { routingMode: 'BASE_URL' } });
      expect(only.driver.records.get(j.id)).toMatchObject({ appVersionId: 'av1', routingMode: 'DOMAIN' });
    });

    it('rejects a RoutingModes list without the default mode at start-up', () => {
      expect(() => setup({ WHARF_SCHEDULER_ROUTING_MODE: 'BASE_URL', WHARF_SCHEDULER_ROUTING_MODES: '["DOMAIN"]' })).toThrow(/Scheduler.RoutingModes \(from env WHARF_SCHEDULER_ROUTING_MODES\): must include RoutingMode \(BASE_URL\)/);
    });
  });

  describe('lifecycles', () => {
    const managedSetup = () => {
      const s = setup({ WHARF_SCHEDULER_MAX_INSTANCES_FULL_ACCESS: '5' });
      const base = s.apps.get('av1')!;
      s.apps.set('mv1', { ...base, id: 'mv1', name: 'board', version: '1.0.0', title: 'Board', runtime: { ...base.runtime, lifecycle: 'MANAGED' } });
      s.apps.set('mv2', { ...base, id: 'mv2', name: 'board', version: '2.0.0', title: 'Board', runtime: { ...base.runtime, lifecycle: 'MANAGED' } });
      s.apps.set('lv1', { ...base, id: 'lv1', name: 'wiki', version: '1.0.0', title: 'Wiki', env: [], runtime: { ...base.runtime, module: '', lifecycle: 'LINK', linkAddress: 'https://wiki.example.com/' } });
      return s;
    };

    it('MANAGED: only its owner or an admin starts the one instance; everyone who sees the app then opens that one', async () => {
      const { service, driver, leases } = managedSetup();
      const refused = await service.create(alice, { appVersionId: 'mv1', visibility: 'PRIVATE' }).catch((e: WharfError) => e);
      expect(refused).toMatchObject({ code: 'CONFLICT', message: expect.stringMatching(/Board runs as one shared instance, which its owner \(Author\) or an admin starts; it is not running now/) });
      expect(driver.records.size).toBe(0);

      const started = await service.create(author, { appVersionId: 'mv1', visibility: 'PRIVATE' });
      expect(started).toMatchObject({ lifecycle: 'MANAGED', owner: { sub: 'author' }, visibility: 'ALL_USERS' }); // as widely as the version is seen
      expect(leases.sets.get('author')).toEqual(new Set([started.id]));
      const [a, b, again] = await Promise.all([
        service.create(alice, { appVersionId: 'mv1', visibility: 'PRIVATE' }),
        service.create(bob, { appVersionId: 'mv1', visibility: 'PUBLIC' }),
        service.create(author, { appVersionId: 'mv1', visibility: 'PRIVATE' }),
      ]);
      expect([a.id, b.id, again.id]).toEqual([started.id, started.id, started.id]);
      expect(a.statusReason).toBe(started.status === 'RUNNING' ? null : 'Starting'); // others do not read its logs
      expect(driver.records.size).toBe(1);
      // only its owner and admins manage it
      await expect(service.suspend(alice, started.id)).rejects.toMatchObject({ code: 'FORBIDDEN' });
      await service.suspend(author, started.id);
      // suspended, it is what Run opens (the owner resumes it)
      expect((await service.create(alice, { appVersionId: 'mv1', visibility: 'PRIVATE' })).status).toBe('SUSPENDED');
    });

    it('MANAGED: an admin may start it (owned by the app owner); two starts race to one instance', async () => {
      const { service, driver } = managedSetup();
      const [x, y] = await Promise.all([service.create(admin, { appVersionId: 'mv1', visibility: 'PRIVATE' }), service.create(author, { appVersionId: 'mv1', visibility: 'PRIVATE' })]);
      expect(x.id).toBe(y.id);
      expect(x.owner.sub).toBe('author');
      expect(driver.records.size).toBe(1);
      // each version has its own; in place it only changes runtime
      const v2 = await service.create(author, { appVersionId: 'mv2', visibility: 'PRIVATE' });
      expect(v2.id).not.toBe(x.id);
      await expect(service.upgrade(author, { id: x.id, appVersionId: 'mv2' })).rejects.toMatchObject({
        code: 'INVALID',
        message: expect.stringMatching(/shared \(MANAGED\) instance of board 1\.0\.0 and runs that version only: run board 2\.0\.0/),
      });
    });

    it('LINK: has no instance; Run says where to go instead', async () => {
      const { service, driver } = managedSetup();
      await expect(service.create(alice, { appVersionId: 'lv1', visibility: 'PRIVATE' })).rejects.toMatchObject({
        code: 'INVALID',
        message: 'wiki 1.0.0 is a link to https://wiki.example.com/, not an app that runs on Wharf: open that address instead',
        details: { lifecycle: 'LINK', link: 'https://wiki.example.com/' },
      });
      expect(driver.records.size).toBe(0);
    });
  });
});
