import { AppsV1Api, CoreV1Api, KubeConfig, NetworkingV1Api } from '@kubernetes/client-node';
import { driverSuite } from '../../test-support/driver-suite';

/**
 * The shared driver suite on the Kubernetes driver: against the fake cluster of libs/testing (its
 * kubelet runs each pod's launcher as a local process; Services answer on loopback cluster IPs),
 * or against the cluster of WHARF_TEST_KUBECONFIG (see EXTERNAL_CLUSTER in the harness). Traces
 * are the objects labelled with the instance, as kubectl would list them.
 */
driverSuite('kubernetes', async (h, id) => {
  const kc = new KubeConfig();
  kc.loadFromFile(h.kube!.kubeconfigPath);
  const namespace = h.kube!.namespace || kc.getContextObject(kc.getCurrentContext())?.namespace || 'default';
  const q = { namespace, labelSelector: `wharf.dev/instance=${id}` };
  const [core, apps, net] = [kc.makeApiClient(CoreV1Api), kc.makeApiClient(AppsV1Api), kc.makeApiClient(NetworkingV1Api)];
  const lists = await Promise.all([
    apps.listNamespacedDeployment(q),
    core.listNamespacedPod(q),
    core.listNamespacedSecret(q),
    core.listNamespacedService(q),
    core.listNamespacedPersistentVolumeClaim(q),
    net.listNamespacedNetworkPolicy(q),
  ]);
  return lists.flatMap((l) => l.items as unknown[]);
});
