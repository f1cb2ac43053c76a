import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BudgetCommand, BudgetError, type BudgetState, decide, evolve, initialBudgetState, summarise } from '../../../domain/budget';
import { ProjectEvent } from '../../../domain/budget/events';

const P = '2024-1-FR01-KA131-HED-000777';
const m = (n: number) => `${P}-MOB-${String(n).padStart(5, '0')}`;
const register = BudgetCommand.parse({ type: 'RegisterProject', projectId: P, institutionId: 'F-PARIS-001', lines: [{ lineId: 'erasmus', funder: 'Erasmus+ KA131', allocatedCents: 1_000_000, allocatedMobilities: 3 }, { lineId: 'region', funder: 'Région', allocatedCents: 200_000, allocatedMobilities: 10 }] });

/** given(commands) → state; each decision folded in order. */
function given(...commands: unknown[]): BudgetState {
  let s = initialBudgetState();
  for (const c of commands) for (const e of decide(BudgetCommand.parse(c), s)) s = evolve(s, ProjectEvent.parse(e), { projectId: P, consortiumId: null });
  return s;
}
const thenThrows = (state: BudgetState, cmd: unknown, code: string, msg?: RegExp) => {
  let err: unknown;
  try {
    decide(BudgetCommand.parse(cmd), state);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(BudgetError);
  expect((err as BudgetError).code).toBe(code);
  if (msg) expect((err as Error).message).toMatch(msg);
};

describe('budget guard decider', () => {
  it('registers a project once; the same registration again decides nothing', () => {
    const s = given(register);
    expect(s.status).toBe('registered');
    expect(decide(register, s)).toEqual([]);
    thenThrows(s, { ...register, lines: [{ lineId: 'x', funder: 'y', allocatedCents: 1, allocatedMobilities: 1 }] }, 'AlreadyRegistered');
  });

  it('refuses every reservation before registration', () => {
    thenThrows(initialBudgetState(), { type: 'ReserveBudget', mobilityId: m(1), lineId: 'erasmus', amountCents: 100 }, 'ProjectNotRegistered');
  });

  it('reserves the estimated grant and one mobility; a retried reservation decides nothing', () => {
    const s = given(register, { type: 'ReserveBudget', mobilityId: m(1), lineId: 'erasmus', amountCents: 300_000 });
    expect(summarise(s)!.lines[0]).toMatchObject({ reservedCents: 300_000, reservedMobilities: 1, remainingCents: 700_000, remainingMobilities: 2 });
    expect(decide(BudgetCommand.parse({ type: 'ReserveBudget', mobilityId: m(1), lineId: 'erasmus', amountCents: 300_000 }), s)).toEqual([]);
    thenThrows(s, { type: 'ReserveBudget', mobilityId: m(1), lineId: 'erasmus', amountCents: 1 }, 'AlreadyReserved');
  });

  it('refuses a selection that would overspend, saying by how much', () => {
    const s = given(register, { type: 'ReserveBudget', mobilityId: m(1), lineId: 'erasmus', amountCents: 900_000 });
    thenThrows(s, { type: 'ReserveBudget', mobilityId: m(2), lineId: 'erasmus', amountCents: 150_000 }, 'InsufficientFunds', /overspend line erasmus .* by 500\.00 €/);
  });

  it('refuses beyond the allocated number of mobilities, even at zero grant', () => {
    const s = given(register, ...[1, 2, 3].map((i) => ({ type: 'ReserveBudget', mobilityId: m(i), lineId: 'erasmus', amountCents: 0 })));
    thenThrows(s, { type: 'ReserveBudget', mobilityId: m(4), lineId: 'erasmus', amountCents: 0 }, 'NoMobilitiesLeft', /3 of 3/);
  });

  it('refuses an unknown funder line naming the lines that exist', () => {
    thenThrows(given(register), { type: 'ReserveBudget', mobilityId: m(1), lineId: 'ministry', amountCents: 1 }, 'UnknownLine', /erasmus, region/);
  });

  it('a lower final grant releases the difference; cancellation releases the rest and the mobility', () => {
    let s = given(register, { type: 'ReserveBudget', mobilityId: m(1), lineId: 'erasmus', amountCents: 300_000 }, { type: 'AdjustReservation', mobilityId: m(1), amountCents: 250_000 });
    expect(summarise(s)!.lines[0]).toMatchObject({ reservedCents: 250_000, reservedMobilities: 1 });
    s = given(register, { type: 'ReserveBudget', mobilityId: m(1), lineId: 'erasmus', amountCents: 300_000 }, { type: 'ReleaseReservation', mobilityId: m(1), reason: 'cancelled' });
    expect(summarise(s)!.lines[0]).toMatchObject({ reservedCents: 0, reservedMobilities: 0 });
    expect(decide(BudgetCommand.parse({ type: 'ReleaseReservation', mobilityId: m(1), reason: 'cancelled' }), s)).toEqual([]);
  });

  it('refuses raising a reservation past the line', () => {
    const s = given(register, { type: 'ReserveBudget', mobilityId: m(1), lineId: 'erasmus', amountCents: 900_000 });
    thenThrows(s, { type: 'AdjustReservation', mobilityId: m(1), amountCents: 1_100_000 }, 'InsufficientFunds');
  });

  it('property: no sequence of commands ever reserves more than allocated, and reserved = sum of reservations', () => {
    const cmd = fc.oneof(
      fc.record({ type: fc.constant('ReserveBudget'), mobilityId: fc.integer({ min: 1, max: 8 }).map(m), lineId: fc.constantFrom('erasmus', 'region'), amountCents: fc.integer({ min: 0, max: 600_000 }) }),
      fc.record({ type: fc.constant('AdjustReservation'), mobilityId: fc.integer({ min: 1, max: 8 }).map(m), amountCents: fc.integer({ min: 0, max: 600_000 }) }),
      fc.record({ type: fc.constant('ReleaseReservation'), mobilityId: fc.integer({ min: 1, max: 8 }).map(m), reason: fc.constant('cancelled') }),
    );
    fc.assert(
      fc.property(fc.array(cmd, { maxLength: 40 }), (cmds) => {
        let s = given(register);
        for (const c of cmds) {
          try {
            for (const e of decide(BudgetCommand.parse(c), s)) s = evolve(s, e, { projectId: P, consortiumId: null });
          } catch (e) {
            if (!(e instanceof BudgetError)) throw e;
          }
        }
        if (s.status !== 'registered') return false;
        for (const l of Object.values(s.lines)) {
          const mine = Object.values(s.reservations).filter((r) => r.lineId === l.lineId);
          if (l.reservedCents > l.allocatedCents || l.reservedMobilities > l.allocatedMobilities) return false;
          if (l.reservedCents !== mine.reduce((a, r) => a + r.amountCents, 0) || l.reservedMobilities !== mine.length) return false;
        }
        return true;
      }),
    );
  });
});
