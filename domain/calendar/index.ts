export * from './facts';
export * from './policy';
export * from './deadlines';
export * from './reminders';
export { addMonthsClamped, utcDateOf } from '../dates';
