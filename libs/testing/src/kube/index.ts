export * from './fake-apiserver';
export * from './binaries';
export * from './kubelet';
export * from './kube-proxy';
export * from './wharf-cluster';
