export * from './manifest';
export * from './quantity';
export * from './bundle-path';
export * from './bundle-reader';
