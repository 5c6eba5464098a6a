export * from './migrate';
export * from './adapter';
