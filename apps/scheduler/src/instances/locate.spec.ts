import { Logger } from '@nestjs/common';
import { SchedulerContracts } from '@wharf/contracts';
import { alice, setupInstances as setup } from '../test-support/memory-instances';

beforeAll(() => Logger.overrideLogger(false));

/** A platform serving DOMAIN by default and BASE_URL to apps that ask for it, with `based` (av2) asking; no instance limit. */
function twoModes() {
  const s = setup({ WHARF_SCHEDULER_ROUTING_MODES: '["DOMAIN", "BASE_URL"]', WHARF_SCHEDULER_MAX_INSTANCES_FULL_ACCESS: '0' });
  const hello = s.apps.get('av1')!;
  s.apps.set('av2', { ...hello, id: 'av2', name: 'based', runtime: { ...hello.runtime, routingMode: 'BASE_URL' } });
  return s;
}

describe('InstanceService.locate (scheduler.instance.locate.v1, for share links)', () => {
  it('answers each live instance once with its routing mode and base path, and nothing else', async () => {
    const { service } = twoModes();
    const domain = await service.create(alice, { appVersionId: 'av1', visibility: 'PRIVATE' });
    const based = await service.create(alice, { appVersionId: 'av2', visibility: 'PRIVATE' });
    const answer = await service.locate([based.id, domain.id, based.id]);
    expect(SchedulerContracts.locate.response.parse(answer)).toEqual(answer);
    expect(answer.instances).toHaveLength(2);
    expect(answer.instances).toEqual(
      expect.arrayContaining([
        { id: domain.id, routingMode: 'DOMAIN', basePath: '/' },
        { id: based.id, routingMode: 'BASE_URL', basePath: `/instance/${based.id}/` },
      ]),
    );
  });

  it('leaves out missing and terminated instances, and reads a record from before routing modes as DOMAIN', async () => {
    const { service, driver } = twoModes();
    const kept = await service.create(alice, { appVersionId: 'av2', visibility: 'PRIVATE' });
    const ended = await service.create(alice, { appVersionId: 'av2', visibility: 'PRIVATE' });
    await service.terminate(alice, ended.id);
    // a driver that keeps the record of a terminated instance (status TERMINATED) is answered the same
    const stale = await service.create(alice, { appVersionId: 'av2', visibility: 'PRIVATE' });
    driver.records.set(stale.id, { ...driver.records.get(stale.id)!, status: 'TERMINATED' });
    const old = await service.create(alice, { appVersionId: 'av1', visibility: 'PRIVATE' });
    const { routingMode: _made, ...before } = driver.records.get(old.id)!;
    driver.records.set(old.id, before);

    const { instances } = await service.locate(['nosuch1234', ended.id, stale.id, kept.id, old.id]);
    expect(instances).toEqual([
      { id: kept.id, routingMode: 'BASE_URL', basePath: `/instance/${kept.id}/` },
      { id: old.id, routingMode: 'DOMAIN', basePath: '/' },
    ]);
    expect(await service.locate(['nosuch1234'])).toEqual({ instances: [] });
  });
});
