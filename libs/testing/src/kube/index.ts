export * from './fake-apiserver';
export * from './binaries';
export * from './kubelet';
