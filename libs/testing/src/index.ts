export * from './postgres';
export * from './nats-server';
export * from './system';
export * from './bundle-builder';
export * from './zip-writer';
export * from './corpus/bad-bundles';
export * from './s3-server';
export * from './streams';
