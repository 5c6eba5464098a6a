import * as contracts from './index';
import type { EventContract, RequestContract } from './define';
import { natsPermissions, PLATFORM_SERVICES, SERVICE_ROLES } from './services';

/** Every request and event contract exported by libs/contracts, also inside contract groups. */
function allContracts(): (RequestContract | EventContract)[] {
  const out = new Set<RequestContract | EventContract>();
  const isContract = (v: unknown): v is RequestContract | EventContract =>
    typeof v === 'object' && v !== null && ((v as { kind?: unknown }).kind === 'request' || (v as { kind?: unknown }).kind === 'event') && typeof (v as { subject?: unknown }).subject === 'string';
  for (const v of Object.values(contracts)) {
    if (isContract(v)) out.add(v);
    else if (typeof v === 'object' && v !== null) for (const w of Object.values(v)) if (isContract(w)) out.add(w);
  }
  return [...out];
}

describe('the service table (who owns, calls and listens to which NATS subject)', () => {
  const found = allContracts();

  it('finds the contracts', () => {
    expect(found.length).toBeGreaterThan(30);
  });

  it.each(found.map((c) => [c.subject, c] as const))('%s is owned by exactly one service', (_subject, c) => {
    const owners = PLATFORM_SERVICES.filter((s) => (c.kind === 'request' ? SERVICE_ROLES[s].serves : SERVICE_ROLES[s].emits).includes(c as never));
    expect(owners).toHaveLength(1);
    if (c.kind === 'request') expect(c.subject.startsWith(`${owners[0]}.`)).toBe(true);
  });

  it('has every call served and every event listened to emitted by someone, never calling itself', () => {
    for (const s of PLATFORM_SERVICES) {
      for (const c of SERVICE_ROLES[s].calls) {
        expect(SERVICE_ROLES[s].serves).not.toContain(c);
        expect(PLATFORM_SERVICES.filter((o) => SERVICE_ROLES[o].serves.includes(c))).toHaveLength(1);
      }
      for (const e of SERVICE_ROLES[s].listens) expect(PLATFORM_SERVICES.some((o) => SERVICE_ROLES[o].emits.includes(e))).toBe(true);
    }
  });

  it('derives NATS permissions: only the owner may answer a subject or publish an event', () => {
    const { InstanceChangedEvent, InstanceUpdatedEvent, InstanceActivityEvent, IdentityContracts, SchedulerContracts } = contracts;
    const may = (verb: 'publish' | 'subscribe', subject: string) => PLATFORM_SERVICES.filter((s) => natsPermissions(s)[verb].includes(subject));
    expect(may('subscribe', IdentityContracts.verifyToken.subject)).toEqual(['gateway']);
    expect(may('publish', InstanceChangedEvent.subject)).toEqual(['scheduler']);
    expect(may('publish', InstanceActivityEvent.subject)).toEqual(['router']);
    expect(may('subscribe', InstanceChangedEvent.subject)).toEqual(['router']); // with addresses: the router's alone
    expect(may('subscribe', InstanceUpdatedEvent.subject)).toEqual(['gateway']); // without: the gateway's live events
    expect(may('publish', InstanceUpdatedEvent.subject)).toEqual(['scheduler']);
    expect(may('publish', SchedulerContracts.route.subject)).toEqual(['router']); // addresses: the router's alone
    expect(may('publish', SchedulerContracts.countInstances.subject)).toEqual(['repository']);
    // usage against limits: asked by the gateway of the services that enforce each limit
    for (const c of [SchedulerContracts.usage, SchedulerContracts.usageList, contracts.RepositoryContracts.usage, contracts.RepositoryContracts.usageList]) {
      expect([c.subject, may('publish', c.subject), may('subscribe', c.subject)]).toEqual([c.subject, ['gateway'], [c.subject.split('.')[0]]]);
    }
    expect(natsPermissions('router')).toMatchObject({ allowResponses: null });
    expect(natsPermissions('router').subscribe).toContain('_INBOX.router.>');
    expect(natsPermissions('gateway').subscribe).not.toContain('_INBOX.>');
    expect(natsPermissions('scheduler').publish).toContain('$JS.API.>');
    expect(natsPermissions('gateway').publish.some((p) => p.startsWith('$JS'))).toBe(false);
  });
});
