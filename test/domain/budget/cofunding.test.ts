import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BudgetCommand, BudgetError, type BudgetState, decide, evolve, holdingsOf, initialBudgetState, RegisterProject, summarise } from '../../../domain/budget';
import { parseProjectEvent, ProjectEvent, upcastProjectEvent } from '../../../domain/budget/events';

const P = '2024-1-FR01-KA131-HED-000778';
const m = (n: number) => `${P}-MOB-${String(n).padStart(5, '0')}`;
const REGION_RULE = { kind: 'flat', per: 'month', amountEur: 150, capEur: 600, condition: 'fewer-opportunities' } as const;
const register = {
  type: 'RegisterProject', projectId: P, institutionId: 'F-PARIS-001',
  lines: [
    { lineId: 'EPLUS', funder: 'ERASMUS+', allocatedCents: 1_000_000, allocatedMobilities: 5 },
    { lineId: 'REGION', funder: 'Région Auvergne-Rhône-Alpes', allocatedCents: 100_000, allocatedMobilities: 2, rule: REGION_RULE },
  ],
};

function given(...commands: unknown[]): BudgetState {
  let s = initialBudgetState();
  for (const c of commands) for (const e of decide(BudgetCommand.parse(c), s)) s = evolve(s, ProjectEvent.parse(e), { projectId: P, consortiumId: null });
  return s;
}
const refusal = (state: BudgetState, cmd: unknown): BudgetError => {
  try {
    decide(BudgetCommand.parse(cmd), state);
  } catch (e) {
    return e as BudgetError;
  }
  throw new Error('not refused');
};
const lineOf = (s: BudgetState, id: string) => summarise(s)!.lines.find((l) => l.lineId === id)!;
const issuesOf = (raw: unknown) => {
  const r = RegisterProject.safeParse(raw);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('funder lines with rules (registration)', () => {
  it('given no rule, the ERASMUS+ line gets erasmus-plus and another funder none; a flat rule is kept', () => {
    const r = RegisterProject.parse(register);
    expect(r.lines.map((l) => l.rule)).toEqual([{ kind: 'erasmus-plus' }, REGION_RULE]);
    expect(RegisterProject.parse({ ...register, lines: [register.lines[0], { ...register.lines[1], rule: undefined }] }).lines[1]!.rule).toBeNull();
  });

  it('refuses a flat rule on the ERASMUS+ line and a second erasmus-plus line, naming the field', () => {
    expect(issuesOf({ ...register, lines: [{ ...register.lines[0], rule: REGION_RULE }, register.lines[1]] })).toEqual([expect.stringMatching(/^lines\.0\.rule: line EPLUS is the ERASMUS\+ line/)]);
    expect(issuesOf({ ...register, lines: [register.lines[0], { ...register.lines[1], rule: { kind: 'erasmus-plus' } }] })).toEqual([expect.stringMatching(/^lines\.1\.rule: only one line pays the Erasmus\+ grant: line EPLUS/)]);
    expect(issuesOf({ ...register, lines: [register.lines[0], { ...register.lines[1], rule: { kind: 'flat', per: 'month', amountEur: -1 } }] })[0]).toMatch(/^lines\.1\.rule\.amountEur: amountEur must be positive/);
  });

  it('decides ProjectRegistered v2 with each line\'s rule; a v1 event (no rules) reads as v2 with the default rules', () => {
    const [e] = decide(BudgetCommand.parse(register), initialBudgetState());
    expect(e).toMatchObject({ type: 'ProjectRegistered', version: 2, payload: { lines: [{ rule: { kind: 'erasmus-plus' } }, { rule: REGION_RULE }] } });
    const v1 = { type: 'ProjectRegistered', version: 1, payload: { institutionId: 'F-PARIS-001', lines: register.lines.map(({ rule: _, ...l }) => l) } };
    expect(upcastProjectEvent(v1)).toEqual({ type: 'ProjectRegistered', version: 2, payload: { institutionId: 'F-PARIS-001', lines: [{ ...v1.payload.lines[0], rule: { kind: 'erasmus-plus' } }, { ...v1.payload.lines[1], rule: null }] } });
    const env = { eventId: `${P}:0`, occurredAt: '2026-01-01T00:00:00.000Z', projectId: P, institutionId: 'F-PARIS-001', consortiumId: null, sequence: 0, ...v1 };
    expect(parseProjectEvent(env).event.version).toBe(2);
  });
});

describe('a co-funded mobility on the budget guard', () => {
  const select = { type: 'ReserveBudget', mobilityId: m(1), lineId: 'EPLUS', amountCents: 300_000, coFunding: [{ lineId: 'REGION', amountCents: 60_000 }] };

  it('when selected, reserves the Erasmus+ amount on its line and the share on the co-funding line, one mobility each', () => {
    const s = given(register, select);
    expect(lineOf(s, 'EPLUS')).toMatchObject({ reservedCents: 300_000, reservedMobilities: 1 });
    expect(lineOf(s, 'REGION')).toMatchObject({ reservedCents: 60_000, reservedMobilities: 1, remainingCents: 40_000 });
    expect(holdingsOf(s, m(1))).toEqual([{ lineId: 'EPLUS', amountCents: 300_000 }, { lineId: 'REGION', amountCents: 60_000 }]);
    expect(summarise(s)!.reservations).toBe(1);
  });

  it('a retried reservation decides nothing; another amount is refused', () => {
    const s = given(register, select);
    expect(decide(BudgetCommand.parse(select), s)).toEqual([]);
    expect(refusal(s, { ...select, coFunding: [{ lineId: 'REGION', amountCents: 1 }] }).code).toBe('AlreadyReserved');
  });

  it('is all or nothing: a share the co-funding line cannot cover refuses the whole selection', () => {
    const s = given(register, select);
    const e = refusal(s, { ...select, mobilityId: m(2), coFunding: [{ lineId: 'REGION', amountCents: 50_000 }] });
    expect(e.code).toBe('InsufficientFunds');
    expect(e.message).toMatch(/line REGION .* by 100\.00 €: co-funding share 500\.00 €/);
  });

  it('a share of 0 (the condition not met) reserves nothing on the co-funding line', () => {
    const s = given(register, { ...select, coFunding: [{ lineId: 'REGION', amountCents: 0 }] });
    expect(lineOf(s, 'REGION')).toMatchObject({ reservedCents: 0, reservedMobilities: 0 });
    expect(holdingsOf(s, m(1))).toEqual([{ lineId: 'EPLUS', amountCents: 300_000 }]);
  });

  it('the final grant adjusts each line; a co-funding line not held yet is reserved', () => {
    let s = given(register, select, { type: 'AdjustReservation', mobilityId: m(1), amountCents: 280_000, coFunding: [{ lineId: 'REGION', amountCents: 55_000 }] });
    expect(holdingsOf(s, m(1))).toEqual([{ lineId: 'EPLUS', amountCents: 280_000 }, { lineId: 'REGION', amountCents: 55_000 }]);
    expect(lineOf(s, 'REGION').reservedCents).toBe(55_000);
    s = given(register, { ...select, coFunding: [{ lineId: 'REGION', amountCents: 0 }] }, { type: 'AdjustReservation', mobilityId: m(1), amountCents: 300_000, coFunding: [{ lineId: 'REGION', amountCents: 20_000 }] });
    expect(lineOf(s, 'REGION')).toMatchObject({ reservedCents: 20_000, reservedMobilities: 1 });
  });

  it('cancellation releases every line the mobility holds; a second release decides nothing', () => {
    const s = given(register, select, { type: 'ReleaseReservation', mobilityId: m(1), reason: 'cancelled' });
    expect(lineOf(s, 'EPLUS')).toMatchObject({ reservedCents: 0, reservedMobilities: 0 });
    expect(lineOf(s, 'REGION')).toMatchObject({ reservedCents: 0, reservedMobilities: 0 });
    expect(holdingsOf(s, m(1))).toEqual([]);
    expect(decide(BudgetCommand.parse({ type: 'ReleaseReservation', mobilityId: m(1), reason: 'cancelled' }), s)).toEqual([]);
  });

  it('reads a state carried over continueAsNew from before co-funding (no coReservations)', () => {
    const old = given(register, { type: 'ReserveBudget', mobilityId: m(1), lineId: 'EPLUS', amountCents: 300_000 }) as Extract<BudgetState, { status: 'registered' }>;
    const { coReservations: _, ...carried } = old;
    const s = JSON.parse(JSON.stringify(carried)) as BudgetState;
    expect(holdingsOf(s, m(1))).toEqual([{ lineId: 'EPLUS', amountCents: 300_000 }]);
    const events = decide(BudgetCommand.parse({ type: 'ReleaseReservation', mobilityId: m(1), reason: 'cancelled' }), s);
    expect(events.map((e) => (e.payload as { lineId: string }).lineId)).toEqual(['EPLUS']);
  });

  it('property: any sequence of co-funded commands keeps each line within its allocation and its reserved total the sum of what mobilities hold', () => {
    const amount = fc.integer({ min: 0, max: 400_000 });
    const share = fc.integer({ min: 0, max: 60_000 });
    const mob = fc.integer({ min: 1, max: 6 }).map(m);
    const cmd = fc.oneof(
      fc.record({ type: fc.constant('ReserveBudget'), mobilityId: mob, lineId: fc.constant('EPLUS'), amountCents: amount, coFunding: share.map((a) => [{ lineId: 'REGION', amountCents: a }]) }),
      fc.record({ type: fc.constant('AdjustReservation'), mobilityId: mob, amountCents: amount, coFunding: share.map((a) => [{ lineId: 'REGION', amountCents: a }]) }),
      fc.record({ type: fc.constant('ReleaseReservation'), mobilityId: mob, reason: fc.constant('cancelled') }),
    );
    fc.assert(fc.property(fc.array(cmd, { maxLength: 40 }), (cmds) => {
      let s = given(register);
      for (const c of cmds) {
        try {
          for (const e of decide(BudgetCommand.parse(c), s)) s = evolve(s, e, { projectId: P, consortiumId: null });
        } catch (err) {
          if (!(err instanceof BudgetError)) throw err;
        }
      }
      if (s.status !== 'registered') return false;
      for (const l of summarise(s)!.lines) {
        const held = Object.keys({ ...s.reservations, ...s.coReservations }).flatMap((id) => holdingsOf(s, id)).filter((h) => h.lineId === l.lineId);
        expect(l.reservedCents).toBe(held.reduce((a, h) => a + h.amountCents, 0));
        expect(l.reservedMobilities).toBe(held.length);
        expect(l.reservedCents).toBeLessThanOrEqual(l.allocatedCents);
        expect(l.reservedMobilities).toBeLessThanOrEqual(l.allocatedMobilities);
      }
      return true;
    }), { numRuns: 200 });
  });
});
