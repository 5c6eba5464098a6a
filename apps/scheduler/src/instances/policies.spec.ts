import type { Caller } from '@wharf/contracts';
import { instanceUrl, isProgress, newInstanceId } from './instance.record';
import { maxInstancesFor, resolveResources, type LimitSettings } from './limits.policy';

const owner: Caller = { sub: 'o', name: 'o', roles: ['full-access'] };
const visitor: Caller = { sub: 'v', name: 'v', roles: ['visitor'] };
const admin: Caller = { sub: 'adm', name: 'adm', roles: ['admin'] };

describe('instance records', () => {
  it('makes DNS-safe ids', () => {
    const ids = new Set(Array.from({ length: 500 }, newInstanceId));
    expect(ids.size).toBe(500);
    for (const id of ids) expect(id).toMatch(/^[a-z][a-z0-9]{9}$/);
  });
  it('builds URLs, leaving out default ports', () => {
    expect(instanceUrl('abc', { AppsDomain: 'apps.localhost', RouterPort: 8081, RouterScheme: 'http' })).toBe('http://abc.apps.localhost:8081');
    expect(instanceUrl('abc', { AppsDomain: 'apps.example.com', RouterPort: 443, RouterScheme: 'https' })).toBe('https://abc.apps.example.com');
  });
  it('only moves live instances forward', () => {
    expect(isProgress('PROVISIONING', 'INSTALLING', null, 'Fetching bundle')).toBe(true);
    expect(isProgress('INSTALLING', 'INSTALLING', 'Fetching bundle', 'Installing dependencies')).toBe(true);
    expect(isProgress('INSTALLING', 'INSTALLING', 'x', 'x')).toBe(false);
    expect(isProgress('RUNNING', 'STARTING', null, 'Starting')).toBe(false);
    expect(isProgress('RUNNING', 'FAILED', null, 'boom')).toBe(true);
    expect(isProgress('SUSPENDED', 'RUNNING', null, null)).toBe(false);
  });
});

const limits: LimitSettings = {
  MaxInstancesFullAccess: 10,
  MaxInstancesVisitor: 5,
  MaxInstancesAdmin: 0,
  DefaultMemoryLimit: '512Mi',
  MaxMemoryLimit: '4Gi',
  MaxMemoryReservation: '2Gi',
  MaxGpus: 2,
  GpuTypes: [{ Name: 't4' }, { Name: 'a100' }],
};

describe('limits', () => {
  it('by role; 0 is unlimited', () => {
    expect(maxInstancesFor(owner, limits)).toEqual({ max: 10, role: 'full-access users', setting: 'Scheduler.MaxInstancesFullAccess' });
    expect(maxInstancesFor(visitor, limits)).toEqual({ max: 5, role: 'visitors', setting: 'Scheduler.MaxInstancesVisitor' });
    expect(maxInstancesFor(admin, limits)).toEqual({ max: null, role: 'admins', setting: 'Scheduler.MaxInstancesAdmin' });
  });
  it('applies defaults and ceilings', () => {
    const process = { name: 'process', maxGpus: 0 };
    expect(resolveResources({ memoryLimit: null, memoryReservation: null, gpuCount: 0, gpuType: null }, limits, process)).toEqual({
      memoryLimitBytes: 512 * 2 ** 20,
      memoryReservationBytes: null,
      gpuCount: 0,
      gpuType: null,
    });
    expect(() => resolveResources({ memoryLimit: '8Gi', memoryReservation: null, gpuCount: 0, gpuType: null }, limits, process)).toThrow(/at most 4Gi \(Scheduler\.MaxMemoryLimit\)/);
    expect(() => resolveResources({ memoryLimit: '4Gi', memoryReservation: '3Gi', gpuCount: 0, gpuType: null }, limits, process)).toThrow(/MaxMemoryReservation/);
    expect(() => resolveResources({ memoryLimit: null, memoryReservation: null, gpuCount: 1, gpuType: null }, limits, process)).toThrow(/process driver runs instances without GPUs/);
    expect(() => resolveResources({ memoryLimit: null, memoryReservation: null, gpuCount: 3, gpuType: null }, limits, { name: 'kubernetes', maxGpus: 8 })).toThrow(/at most 2 \(Scheduler\.MaxGpus\)/);
  });
  it('gives GPUs of the type the app names, or the first offered; refuses a type not offered, naming those that are', () => {
    const kube = { name: 'kubernetes', maxGpus: 8 };
    expect(resolveResources({ memoryLimit: null, memoryReservation: null, gpuCount: 1, gpuType: 'a100' }, limits, kube)).toMatchObject({ gpuCount: 1, gpuType: 'a100' });
    expect(resolveResources({ memoryLimit: null, memoryReservation: null, gpuCount: 1, gpuType: null }, limits, kube)).toMatchObject({ gpuType: 't4' });
    expect(() => resolveResources({ memoryLimit: null, memoryReservation: null, gpuCount: 1, gpuType: 'h100' }, limits, kube)).toThrow(
      'the app asks for GPUs of type h100; this platform offers t4, a100 (Scheduler.GpuTypes)',
    );
  });
});
