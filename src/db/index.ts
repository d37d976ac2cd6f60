// Database layer: schema, connection, migrations, the records repository and read queries.
export * from './schema';
export * from './connection';
export * from './migrate';
export * from './repository';
export * from './queries';
export type * from './types';
export * from './webhooks';
export * from './network-events';
export * from './retention';
export * from './backup';
