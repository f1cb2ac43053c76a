export * from './kinds';
export * from './lifecycle';
export * from './commands';
export * from './events';
export * from './state';
export * from './deadlines';
export * from './actions';
export { decideIncoming, isIncomingRejection, type IncomingDecision, type IncomingRejection, type IncomingRejectionCode } from './decide';
export { evolveIncoming, foldIncoming } from './evolve';
