export * from './decide';
export * from './events';
