import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type MobilityEvent, type MobilityState, MobilityEvent as EventSchema, assertInvariant, decide, evolve, foldEvents,
  grantDue, initialState, isRejection, netPaid,
} from '../../../domain/mobility';
import { Session, type Step, sessionArb } from './generators';

const deepFreeze = <T>(v: T): T => {
  if (typeof v === 'object' && v !== null && !Object.isFrozen(v)) { Object.freeze(v); Object.values(v).forEach(deepFreeze); }
  return v;
};

interface Trace { state: MobilityState; events: MobilityEvent[]; accepted: number; rejected: number }

/** Run a session, checking the per-step properties; returns the final state and every emitted event. */
const run = (steps: readonly Step[], onStep: (before: MobilityState, after: MobilityState, emitted: MobilityEvent[] | null) => void = () => {}): Trace => {
  const session = new Session();
  let state: MobilityState = initialState;
  const events: MobilityEvent[] = [];
  let accepted = 0;
  let rejected = 0;
  for (const step of steps) {
    const command = session.next(step, state);
    const result = decide(command, deepFreeze(state));
    if (isRejection(result)) {
      rejected += 1;
      onStep(state, state, null);
      continue;
    }
    accepted += 1;
    const next = result.reduce(evolve, state);
    events.push(...result);
    onStep(state, next, result);
    state = next;
  }
  return { state, events, accepted, rejected };
};

const RUNS = { numRuns: 400 };

describe('mobility decider properties', () => {
  it('(a) no command sequence reaches a state that breaks an invariant', () => {
    fc.assert(fc.property(sessionArb, (steps) => { run(steps, (_b, after) => assertInvariant(after)); }), { ...RUNS, seed: Number(process.env.FC_SEED ?? Date.now() % 2 ** 31) });
  });

  it('(b) folding the emitted events from the initial state reproduces the step-by-step state', () => {
    fc.assert(fc.property(sessionArb, (steps) => {
      const { state, events } = run(steps);
      expect(foldEvents(events)).toEqual(state);
    }), RUNS);
  });

  it('(c) an illegal command is a named rejection and leaves the state untouched (decide never mutates)', () => {
    fc.assert(fc.property(sessionArb, (steps) => {
      const session = new Session();
      let state: MobilityState = initialState;
      for (const step of steps) {
        const command = session.next(step, state);
        const snapshot = structuredClone(state);
        const result = decide(command, deepFreeze(state)); // frozen: any mutation would throw
        expect(state).toEqual(snapshot);
        if (isRejection(result)) {
          expect(result.reason).toMatch(/^cannot /);
          expect(decide(command, state)).toEqual(result); // pure: same input, same answer
        } else {
          state = result.reduce(evolve, state);
        }
      }
    }), RUNS);
  });

  it('(d) money: a projection folding only payment events agrees with the state and never pays more than is due', () => {
    fc.assert(fc.property(sessionArb, (steps) => {
      let projected = 0;
      let prefinanced = 0;
      run(steps, (_before, after, emitted) => {
        for (const e of emitted ?? []) {
          if (e.type === 'PaymentOrdered') {
            projected += e.payload.amountCents;
            if (e.payload.kind === 'prefinancing') prefinanced += e.payload.amountCents;
            expect(e.payload.paidTotalCents).toBe(projected);
          }
          if (e.type === 'RecoveryOrdered') {
            projected -= e.payload.amountCents;
            expect(e.payload.paidTotalCents).toBe(projected);
            expect(projected).toBeGreaterThanOrEqual(e.payload.grantDueCents); // never recover below what is due
          }
          if (e.type === 'AttendanceCertified') expect(e.payload.balanceDueCents).toBe(e.payload.finalGrant.totalCents - projected);
          if (e.type === 'MobilityCancelled') expect(e.payload.toRecoverCents).toBe(projected);
        }
        if (after.stage === 'none') return;
        expect(netPaid(after.payments)).toBe(projected);
        expect(projected).toBeGreaterThanOrEqual(0);
        const due = grantDue(after);
        // Only a pre-financing paid before a lower final grant (or a cancellation) may exceed what is due, until recovered.
        if (due !== null) expect(projected).toBeLessThanOrEqual(Math.max(due, prefinanced));
        else expect(projected).toBe(0);
      });
    }), RUNS);
  });

  it('every emitted event satisfies its published schema', () => {
    fc.assert(fc.property(sessionArb, (steps) => {
      for (const e of run(steps).events) expect(EventSchema.safeParse(e).success, e.type).toBe(true);
    }), RUNS);
  });

  it('the generator explores the whole lifecycle (so the properties above are not vacuous)', () => {
    const finals = fc.sample(sessionArb, { numRuns: 600, seed: 42 }).map((steps) => run(steps));
    const stages = new Set(finals.map((t) => t.state.stage));
    for (const stage of ['recognised', 'reported', 'attended', 'departed', 'cancelled', 'rejected', 'withdrawn', 'reserve-list']) expect(stages).toContain(stage);
    const types = new Set(finals.flatMap((t) => t.events.map((e) => e.type)));
    for (const type of ['RecoveryOrdered', 'GrantRecalculated', 'MobilityInterrupted', 'DeadlineMissed', 'ParticipantReportReminded']) expect(types).toContain(type);
    expect(finals.reduce((n, t) => n + t.rejected, 0)).toBeGreaterThan(0);
  });
});
