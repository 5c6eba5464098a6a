export * from './errors';
export * from './enums';
export * from './caller';
export * from './define';
export * from './app';
export * from './repository.contracts';
export * from './scheduler.contracts';
export * from './internal-token';
