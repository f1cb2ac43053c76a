export * from './model';
export * from './actions';
export * from './directory';
export * from './onboarding';
