export * from './dev-idp';
export * from './dev-idp.config';
