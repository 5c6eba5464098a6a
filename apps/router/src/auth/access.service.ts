import { Inject, Injectable } from '@nestjs/common';
import {
  APP_NOT_VISIBLE,
  instanceAccess,
  RepositoryContracts,
  tagGrants,
  visitorGrantMatters,
  type Caller,
  type InstanceAccess,
  type InstanceAccessOptions,
  type InstanceSubject,
} from '@wharf/contracts';
import { RpcClient } from '@wharf/nats';
import { atOnce } from '../common/at-once';
import { lookupOrNull } from '../common/lookup';
import { ROUTER_SETTINGS, type RouterSettings } from '../router.config';
import { TtlCache } from './ttl-cache';

/** `sign-in` means "nobody signed in": browsers are sent to log in, API clients get 401. */
export type Decision = 'allow' | 'sign-in' | 'deny';

export const decisionOf = (caller: Caller | null, a: InstanceAccess): Decision => (a.open ? 'allow' : caller ? 'deny' : 'sign-in');

/**
 * The platform's access rule (libs/contracts access.ts, the one the scheduler applies too) plus
 * the one answer it cannot give from memory: does a tag on the app version grant this visitor one
 * of their roles? The repository decides (it answers the app version to the visitor, or not); the
 * answer is cached for Router.AuthCacheMs and dropped on app and tag changes.
 */
@Injectable()
export class AccessService {
  private readonly options: InstanceAccessOptions;
  private readonly grants: TtlCache<string, boolean>;

  constructor(
    private readonly rpc: RpcClient,
    @Inject(ROUTER_SETTINGS) private readonly settings: RouterSettings,
  ) {
    this.options = { adminsOpenPrivate: settings.router.AdminsOpenPrivate, allowPublic: settings.router.AllowPublic };
    this.grants = new TtlCache(settings.router.AuthCacheMs);
  }

  /** What `caller` may do with the instance (synchronous unless the visitor grant must be asked). */
  access(caller: Caller | null, instance: InstanceSubject & { appVersionId: string }): InstanceAccess | Promise<InstanceAccess> {
    if (!visitorGrantMatters(caller, instance, this.options)) return instanceAccess(caller, instance, false, this.options);
    const key = `${caller!.sub}\n${caller!.roles.join(',')}\n${instance.appVersionId}`;
    return atOnce(this.grants.get(key, () => this.visitorGrant(caller!, instance.appVersionId)), (granted) => instanceAccess(caller, instance, granted, this.options));
  }

  async decide(caller: Caller | null, instance: InstanceSubject & { appVersionId: string }): Promise<Decision> {
    return decisionOf(caller, await this.access(caller, instance));
  }

  /**
   * Whether a tag on the app version grants one of the visitor's roles: the repository answers the
   * version (with its tags' visitor roles) to whoever may see it. Seeing it is not enough (a PUBLIC
   * version is seen by everyone): a tag must grant the role.
   */
  private async visitorGrant(caller: Caller, appVersionId: string): Promise<boolean> {
    const app = await lookupOrNull(this.rpc, RepositoryContracts.get, { id: appVersionId }, caller, this.settings.router.LookupTimeoutMs, APP_NOT_VISIBLE);
    return app !== null && tagGrants(caller, app.tags.flatMap((t) => t.visitorRoles));
  }

  forgetGrants(): void {
    this.grants.clear();
  }
}
