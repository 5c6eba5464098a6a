import { createRequire } from 'node:module';
import path from 'node:path';

/**
 * The scheduler's compiled Kubernetes driver, for bench/kube. Bench is no library: like the other
 * benches, which run the compiled apps by path (`apps/<app>/dist/main.js`), it loads
 * `apps/scheduler/dist` by path at run time (built first: `pnpm -s build`, or the tsconfig
 * reference), with the types of its declaration files.
 */
export const SCHEDULER_DIST = path.resolve(__dirname, '../../apps/scheduler/dist');
const load = createRequire(path.join(SCHEDULER_DIST, 'main.js'));

type DriverModule = typeof import('../../apps/scheduler/dist/drivers/kubernetes/kubernetes.driver');
type ApiModule = typeof import('../../apps/scheduler/dist/drivers/kubernetes/kube-api');
type ObjectsModule = typeof import('../../apps/scheduler/dist/drivers/kubernetes/instance-objects');
type MetadataModule = typeof import('../../apps/scheduler/dist/drivers/kubernetes/instance-metadata');

export type InstanceRecord = import('../../apps/scheduler/dist/instances/instance.record').InstanceRecord;
export type LaunchPlan = import('../../apps/scheduler/dist/drivers/instance-driver').LaunchPlan;
export type KubernetesDriverOptions = import('../../apps/scheduler/dist/drivers/kubernetes/kubernetes.driver').KubernetesDriverOptions;
export type KubernetesDriver = import('../../apps/scheduler/dist/drivers/kubernetes/kubernetes.driver').KubernetesDriver;

export const { KubernetesDriver } = load('./drivers/kubernetes/kubernetes.driver.js') as DriverModule;
export const { KubeApi } = load('./drivers/kubernetes/kube-api.js') as ApiModule;
export const { instanceObjects, ownedBy } = load('./drivers/kubernetes/instance-objects.js') as ObjectsModule;
export const { STARTED_AT_ANNOTATION, STARTED_GENERATION_ANNOTATION } = load('./drivers/kubernetes/instance-metadata.js') as MetadataModule;

/** NestJS's Logger as the driver uses it (the scheduler's own copy of @nestjs/common). */
export const { Logger: NestLogger } = load('@nestjs/common') as { Logger: { overrideLogger(logger: object): void } };
