import { Inject, Injectable } from '@nestjs/common';
import { RepositoryContracts, type Caller, type Instance } from '@wharf/contracts';
import { RpcClient } from '@wharf/nats';
import { lookupOrNull } from '../common/lookup';
import { ROUTER_SETTINGS, type RouterSettings } from '../router.config';
import { openAccess, type AccessOptions } from './access.policy';
import { TtlCache } from './ttl-cache';

/** The repository's "you may not see this app version". */
const NOT_VISIBLE = ['NOT_FOUND', 'FORBIDDEN', 'UNAUTHENTICATED'] as const;

export type Decision = 'allow' | 'sign-in' | 'deny';

/** The policy plus the one answer it cannot give from memory: does a tag grant this visitor the app? */
@Injectable()
export class AccessService {
  private readonly options: AccessOptions;
  private readonly grants: TtlCache<string, boolean>;

  constructor(
    private readonly rpc: RpcClient,
    @Inject(ROUTER_SETTINGS) private readonly settings: RouterSettings,
  ) {
    this.options = { adminsOpenPrivate: settings.router.AdminsOpenPrivate, allowPublic: settings.router.AllowPublic };
    this.grants = new TtlCache(settings.router.AuthCacheMs);
  }

  decide(caller: Caller | null, instance: Instance): Decision | Promise<Decision> {
    const a = openAccess(caller, instance, this.options);
    if (a !== 'visitor-grant') return a;
    const key = `${caller!.sub}\n${caller!.roles.join(',')}\n${instance.appVersionId}`;
    const granted = this.grants.get(key, () => this.visitorGrant(caller!, instance.appVersionId));
    return typeof granted === 'boolean' ? (granted ? 'allow' : 'deny') : granted.then((g) => (g ? 'allow' : 'deny'));
  }

  /** The repository answers the app version to whoever may see it (for visitors: a tag grants their role). */
  private async visitorGrant(caller: Caller, appVersionId: string): Promise<boolean> {
    const app = await lookupOrNull(this.rpc, RepositoryContracts.get, { id: appVersionId }, caller, this.settings.router.LookupTimeoutMs, NOT_VISIBLE);
    return app !== null;
  }

  forgetGrants(): void {
    this.grants.clear();
  }
}
