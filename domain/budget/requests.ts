import type { z } from 'zod';
import { AdjustReservation, RegisterProject, ReleaseReservation, ReserveBudget } from './decide';

/**
 * Payloads of the budget guard's Updates: the domain commands without their `type`. Built in the domain so
 * the guard's workflows share them (the worker evaluates the domain once per workflow sandbox).
 */
export const RegisterProjectInput = RegisterProject.omit({ type: true });
export type RegisterProjectInput = z.input<typeof RegisterProjectInput>;
export const ReserveRequest = ReserveBudget.omit({ type: true });
export type ReserveRequest = z.infer<typeof ReserveRequest>;
export const AdjustRequest = AdjustReservation.omit({ type: true });
export type AdjustRequest = z.infer<typeof AdjustRequest>;
export const ReleaseRequest = ReleaseReservation.omit({ type: true });
export type ReleaseRequest = z.infer<typeof ReleaseRequest>;
