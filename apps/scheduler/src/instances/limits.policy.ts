import { invalid, isAdmin, isFullAccess, type Caller } from '@wharf/contracts';
import { formatBytes, parseQuantity } from '@wharf/manifest';

export interface LimitSettings {
  MaxInstancesFullAccess: number;
  MaxInstancesVisitor: number;
  MaxInstancesAdmin: number;
  DefaultMemoryLimit: string;
  MaxMemoryLimit: string;
  MaxMemoryReservation: string;
  MaxGpus: number;
  GpuTypes: { Name: string }[];
}

/**
 * How many live instances the caller may have; null = unlimited (a configured 0). `setting` is
 * the key it comes from. The limit check and the usage answers both call this.
 */
export function maxInstancesFor(c: Caller, s: LimitSettings): { max: number | null; role: string; setting: string } {
  const [n, role, key] = isAdmin(c)
    ? [s.MaxInstancesAdmin, 'admins', 'MaxInstancesAdmin']
    : isFullAccess(c)
      ? [s.MaxInstancesFullAccess, 'full-access users', 'MaxInstancesFullAccess']
      : [s.MaxInstancesVisitor, 'visitors', 'MaxInstancesVisitor'];
  return { max: n === 0 ? null : n, role, setting: `Scheduler.${key}` };
}

/** The most GPUs one instance may get: Scheduler.MaxGpus, and no more than the driver can give. */
export const maxGpusFor = (s: LimitSettings, driver: { maxGpus: number }): number => Math.min(s.MaxGpus, driver.maxGpus);

export interface ResourceRequest {
  memoryLimit: string | null;
  memoryReservation: string | null;
  gpuCount: number;
  gpuType: string | null;
}

/**
 * The resources an app version gets, checked against the ceilings. `driverGpus` is what the
 * driver can give at all (the process driver: 0).
 */
export function resolveResources(
  req: ResourceRequest,
  s: LimitSettings,
  driver: { name: string; maxGpus: number },
): { memoryLimitBytes: number; memoryReservationBytes: number | null; gpuCount: number; gpuType: string | null } {
  const limit = parseQuantity(req.memoryLimit ?? s.DefaultMemoryLimit);
  const maxLimit = parseQuantity(s.MaxMemoryLimit);
  if (limit > maxLimit) {
    throw invalid(
      `the app asks for a memory limit of ${req.memoryLimit} (${formatBytes(limit)}); this platform allows at most ${s.MaxMemoryLimit} (Scheduler.MaxMemoryLimit)`,
      { limit: 'MaxMemoryLimit', requested: req.memoryLimit, allowed: s.MaxMemoryLimit },
    );
  }
  const reservation = req.memoryReservation === null ? null : parseQuantity(req.memoryReservation);
  const maxReservation = parseQuantity(s.MaxMemoryReservation);
  if (reservation !== null && reservation > maxReservation) {
    throw invalid(
      `the app asks for a memory reservation of ${req.memoryReservation}; this platform allows at most ${s.MaxMemoryReservation} (Scheduler.MaxMemoryReservation)`,
      { limit: 'MaxMemoryReservation', requested: req.memoryReservation, allowed: s.MaxMemoryReservation },
    );
  }
  if (reservation !== null && reservation > limit) {
    throw invalid(`the app's memory reservation (${req.memoryReservation}) is more than its limit (${formatBytes(limit)})`);
  }
  if (req.gpuCount > 0 && driver.maxGpus === 0) {
    throw invalid(
      `the app needs ${req.gpuCount} GPU(s), but the ${driver.name} driver runs instances without GPUs; run it on a Kubernetes cluster with GPUs`,
      { limit: 'GPUs', requested: req.gpuCount, allowed: 0 },
    );
  }
  const maxGpus = maxGpusFor(s, driver);
  if (req.gpuCount > maxGpus) {
    throw invalid(`the app needs ${req.gpuCount} GPU(s); this platform allows at most ${maxGpus} (Scheduler.MaxGpus)`, {
      limit: 'MaxGpus',
      requested: req.gpuCount,
      allowed: maxGpus,
    });
  }
  let gpuType: string | null = null;
  if (req.gpuCount > 0) {
    const offered = s.GpuTypes.map((g) => g.Name);
    gpuType = req.gpuType ?? offered[0] ?? null;
    if (gpuType === null || !offered.includes(gpuType)) {
      throw invalid(`the app asks for GPUs of type ${req.gpuType}; this platform offers ${offered.join(', ') || 'none'} (Scheduler.GpuTypes)`, {
        limit: 'GpuTypes',
        requested: req.gpuType,
        allowed: offered,
      });
    }
  }
  return { memoryLimitBytes: limit, memoryReservationBytes: reservation, gpuCount: req.gpuCount, gpuType };
}
