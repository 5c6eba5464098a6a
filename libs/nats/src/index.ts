export * from './nats.options';
export * from './rpc.client';
export * from './handle.decorator';
export * from './wharf-exception.filter';
export * from './nats.module';
export * from './connect';
export * from './answer-cache';
export * from './shutdown';
