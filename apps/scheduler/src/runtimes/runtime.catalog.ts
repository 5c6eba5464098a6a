import { invalid, type RuntimeVersion } from '@wharf/contracts';
import type { RuntimeVersionConfig } from '../scheduler.config';

export interface ResolvedRuntime {
  name: string;
  image: string;
  /** Process driver: the interpreter standing in for the image. */
  python: string;
  warnings: string[];
}

/**
 * The runtime catalogue from configuration. ACTIVE runtimes launch; DEPRECATED ones launch with a
 * warning; DISABLED ones, and names no longer configured, refuse new launches. Instances already
 * running on them are never touched: the catalogue only decides about launches.
 */
export class RuntimeCatalog {
  constructor(
    private readonly runtimes: readonly RuntimeVersionConfig[],
    private readonly defaultPython: string,
  ) {}

  list(): RuntimeVersion[] {
    return this.runtimes.map((r) => ({
      name: r.Name,
      image: r.Image,
      default: r.Default,
      state: r.State,
      stateReason: r.StateReason || null,
    }));
  }

  get defaultName(): string {
    return this.runtimes.find((r) => r.Default)!.Name;
  }

  /**
   * The runtime for a launch: the one asked for, else the app's `RuntimeVersion`, else the default.
   * Throws INVALID naming the runtime, why it cannot be used, and which can.
   */
  resolve(requested: string | undefined, appDefault: string | null): ResolvedRuntime {
    const name = requested ?? appDefault ?? this.defaultName;
    const launchable = this.runtimes.filter((r) => r.State !== 'DISABLED').map((r) => r.Name);
    const r = this.runtimes.find((x) => x.Name === name);
    const source = requested ? 'requested' : appDefault ? "named by the app's RuntimeVersion" : 'default';
    if (!r) {
      throw invalid(`runtime ${name} (${source}) is not offered here; choose one of: ${launchable.join(', ')}`, {
        runtime: name,
        available: launchable,
      });
    }
    if (r.State === 'DISABLED') {
      throw invalid(
        `runtime ${name} is disabled${r.StateReason ? `: ${r.StateReason}` : ''}; choose one of: ${launchable.join(', ')}`,
        { runtime: name, state: r.State, reason: r.StateReason || null, available: launchable },
      );
    }
    const warnings =
      r.State === 'DEPRECATED'
        ? [`runtime ${name} is deprecated${r.StateReason ? `: ${r.StateReason}` : ''}; consider upgrading the instance to ${this.defaultName}`]
        : [];
    return { name: r.Name, image: r.Image, python: r.Python ?? this.defaultPython, warnings };
  }
}
