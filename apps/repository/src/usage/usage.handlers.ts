import { Controller, Inject } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { forbidden, isAdmin, RepositoryContracts as C, unauthenticated, type ResponseOf, type Role } from '@wharf/contracts';
import { Handle, type Msg } from '@wharf/nats';
import { versionLimitFor } from '../bundles/version-limit';
import { AppVersionRepository } from '../catalog/app-version.repository';
import { REPOSITORY_SETTINGS, type RepositorySettings } from '../repository.config';

type Usage = ResponseOf<typeof C.usage>;

/**
 * Imported versions against Repository.MaxVersionsPerUser: the count and the limit the import
 * check uses (versionLimitFor), for the caller, or (admins) for everyone.
 */
@Controller()
export class UsageHandlers {
  constructor(
    private readonly versions: AppVersionRepository,
    @Inject(REPOSITORY_SETTINGS) private readonly settings: RepositorySettings,
  ) {}

  @Handle(C.usage)
  async usage(@Payload() m: Msg<typeof C.usage>): Promise<Usage> {
    if (!m.caller) throw unauthenticated('sign in to see your usage');
    const roles = new Map([[m.caller.sub, m.caller.roles]]);
    return this.usageOf(roles, await this.versions.countsByOwner([m.caller.sub]));
  }

  /** The given users (limits from the roles given), and every other owner of versions (limit null: their roles are not known here). */
  @Handle(C.usageList)
  async usageList(@Payload() m: Msg<typeof C.usageList>): Promise<Usage> {
    if (!m.caller) throw unauthenticated('sign in to see usage');
    if (!isAdmin(m.caller)) throw forbidden("only admins see other users' usage");
    return this.usageOf(new Map(m.body.users.map((u) => [u.sub, u.roles])), await this.versions.countsByOwner());
  }

  private usageOf(roles: Map<string, Role[]>, counts: Map<string, { versions: number; name: string }>): Usage {
    const subs = [...new Set([...roles.keys(), ...counts.keys()])].sort();
    return {
      users: subs.map((sub) => {
        const given = roles.get(sub);
        return {
          sub,
          name: counts.get(sub)?.name ?? null,
          versions: counts.get(sub)?.versions ?? 0,
          limit: given ? versionLimitFor({ sub, name: sub, roles: given }, this.settings.repository) : null,
        };
      }),
    };
  }
}
