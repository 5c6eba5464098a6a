import { driverSuite } from '../../test-support/driver-suite';

// The shared driver suite on the Kubernetes driver, against the fake cluster of libs/testing (its
// kubelet runs each pod's launcher as a local process; Services answer on loopback cluster IPs).
// Traces are every object labelled with the instance.
driverSuite('kubernetes', (h, id) =>
  ['deployments', 'pods', 'secrets', 'services', 'networkpolicies', 'persistentvolumeclaims'].flatMap((kind) =>
    h.cluster!.kube.list(kind, h.cluster!.namespace).filter((o) => o.metadata.labels?.['wharf.dev/instance'] === id),
  ),
);
