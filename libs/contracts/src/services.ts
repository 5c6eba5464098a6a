import { AliasChangedEvent, AliasContracts } from './aliases';
import { CALLER_ASSERTION_TTL_SECONDS } from './caller-assertion';
import type { EventContract, RequestContract } from './define';
import { IdentityContracts, TokenChangedEvent } from './identity.contracts';
import { AppChangedEvent, RepositoryContracts, TagChangedEvent } from './repository.contracts';
import { InstanceActivityEvent, InstanceChangedEvent, InstanceUpdatedEvent, SchedulerContracts } from './scheduler.contracts';
import { ShareContracts, ShareRevokedEvent } from './shares';
import { UserSecretContracts } from './user-secrets';

/** The platform's services that talk over NATS, each with its own NATS user. */
export const PLATFORM_SERVICES = ['gateway', 'repository', 'scheduler', 'router'] as const;
export type PlatformService = (typeof PLATFORM_SERVICES)[number];

export interface ServiceRole {
  /** Request contracts it answers (it alone may subscribe to their subjects). */
  readonly serves: readonly RequestContract[];
  /** Events it publishes (it alone may publish them). */
  readonly emits: readonly EventContract[];
  /** Request contracts of other services it calls. */
  readonly calls: readonly RequestContract[];
  /** Events it listens to. */
  readonly listens: readonly EventContract[];
  /** Uses JetStream (the scheduler's lease bucket). */
  readonly jetstream?: boolean;
}

const each = <T>(group: Record<string, T>): T[] => Object.values(group);

/**
 * Who owns which subject, and who calls or listens to what: the one table the NATS permissions
 * are derived from (see natsPermissions). A contract group belongs to one service, so a new
 * contract in a group is served by its owner (and callable by the gateway, the API in front of
 * the repository and the scheduler, unless excluded there) without another edit; a new group or event must be added
 * here, which services.spec.ts checks.
 */
export const SERVICE_ROLES: Readonly<Record<PlatformService, ServiceRole>> = {
  gateway: {
    serves: [...each(IdentityContracts), ...each(ShareContracts)],
    emits: [TokenChangedEvent, ShareRevokedEvent],
    // The API in front of both, less what only the router and the repository use: instance
    // addresses (`route`) never reach the gateway, nor does the repository's delete check.
    calls: [
      ...each(RepositoryContracts),
      ...each(SchedulerContracts).filter((c) => c !== SchedulerContracts.route && c !== SchedulerContracts.countInstances),
      ...each(UserSecretContracts),
      // aliases: admins manage them; `route` checks that an instance ticket's host is an alias
      ...each(AliasContracts),
    ],
    // instances as users see them (no address) for its live event stream, never events.instance.changed.v1
    listens: [AppChangedEvent, TagChangedEvent, TokenChangedEvent, InstanceUpdatedEvent],
  },
  repository: {
    serves: each(RepositoryContracts),
    emits: [AppChangedEvent, TagChangedEvent],
    calls: [SchedulerContracts.countInstances],
    listens: [AppChangedEvent, TagChangedEvent],
  },
  scheduler: {
    serves: [...each(SchedulerContracts), ...each(UserSecretContracts), ...each(AliasContracts)],
    emits: [InstanceChangedEvent, InstanceUpdatedEvent, AliasChangedEvent],
    calls: [RepositoryContracts.get],
    listens: [InstanceActivityEvent],
    jetstream: true,
  },
  router: {
    serves: [],
    emits: [InstanceActivityEvent],
    calls: [
      IdentityContracts.verifyToken,
      IdentityContracts.checkSession,
      IdentityContracts.redeemTicket,
      ShareContracts.check,
      RepositoryContracts.get,
      SchedulerContracts.route,
      SchedulerContracts.resume,
      AliasContracts.route,
    ],
    listens: [InstanceChangedEvent, AliasChangedEvent, TokenChangedEvent, AppChangedEvent, TagChangedEvent, ShareRevokedEvent],
  },
};

/** The reply inbox prefix of a service's requests (`_INBOX.<service>`), so it sees only its own replies. */
export const natsInboxPrefix = (service: string): string => `_INBOX.${service}`;

export interface NatsPermissions {
  publish: string[];
  subscribe: string[];
  /** A responder may publish to the reply subject of requests it received (a few messages, for a while). */
  allowResponses: { max: number; expiresSeconds: number } | null;
}

/** Subject permissions of a service's NATS user, derived from SERVICE_ROLES. */
export function natsPermissions(service: PlatformService): NatsPermissions {
  const role = SERVICE_ROLES[service];
  const subjects = (cs: readonly { subject: string }[]) => [...new Set(cs.map((c) => c.subject))].sort();
  return {
    publish: [
      ...subjects([...role.calls, ...role.emits]),
      // JetStream's API and the KV buckets' subjects; answers come to the inbox below.
      ...(role.jetstream ? ['$JS.API.>', '$KV.>'] : []),
    ],
    subscribe: [...subjects([...role.serves, ...role.listens]), `${natsInboxPrefix(service)}.>`],
    allowResponses: role.serves.length ? { max: 5, expiresSeconds: 2 * CALLER_ASSERTION_TTL_SECONDS } : null,
  };
}

/**
 * The `authorization { users = [...] }` block of a nats-server config: one user per platform
 * service, named after it, with the subject permissions of SERVICE_ROLES (libs/contracts). Nobody
 * else may connect; a service may answer only its own subjects and publish only its own events.
 */
export function natsServerAuthorization(passwords: Readonly<Record<PlatformService, string>>): string {
  const users = PLATFORM_SERVICES.map((service) => {
    const p = natsPermissions(service);
    const password = passwords[service];
    if (!/^[A-Za-z0-9_-]{16,}$/.test(password)) {
      throw new Error(`the NATS password of ${service} must be at least 16 letters, digits, - or _`);
    }
    return {
      user: service,
      password,
      permissions: {
        publish: { allow: p.publish },
        subscribe: { allow: p.subscribe },
        ...(p.allowResponses ? { allow_responses: { max: p.allowResponses.max, expires: `${p.allowResponses.expiresSeconds}s` } } : {}),
      },
    };
  });
  // The nats-server config format reads JSON values.
  return `authorization {\n  users = ${JSON.stringify(users, null, 2).replace(/\n/g, '\n  ')}\n}\n`;
}
