export * from './fake-apiserver';
export * from './binaries';
