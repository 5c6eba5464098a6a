import type { KubernetesDriverOptions } from '../drivers/kubernetes/kubernetes.driver';

/** The Kubernetes driver's object settings the driver specs use (the platform's pods by a `component` label). */
export const KUBE_OBJECTS_FIXTURE: KubernetesDriverOptions['objects'] = {
  launcherCommand: ['node', '/opt/wharf/launcher/dist/main.js'],
  launcherPort: 8080,
  serviceType: 'ClusterIP',
  storageClass: '',
  defaultVolumeSize: '1Gi',
  gpuTypes: [{ name: 'nvidia', resource: 'nvidia.com/gpu', nodeSelector: {}, tolerations: [] }],
  cpuRequest: '100m',
  cpuLimit: '1',
  runAsUser: 10001,
  platform: { namespace: '', router: { component: 'router' }, repository: { component: 'repository' }, scheduler: { component: 'scheduler' } },
  repositoryPort: 8082,
  schedulerPort: 8083,
  egress: 'none',
  imagePullSecrets: {},
  stopGraceSeconds: 5,
  startTimeoutSeconds: 300,
};
