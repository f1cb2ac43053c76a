import { expect } from 'vitest';

/**
 * given(events) / when(command) / then(events) for any decider (STYLE.md §4, after
 * oskardudycz/EventSourcing.NodeJS samples/decider/src/testing/unit/specification.ts).
 * The given events are folded with evolve; decide runs on a frozen state, so a decider that
 * mutated its input would throw here.
 */
export interface Decider<Command, Event, State, Rejection> {
  decide(command: Command, state: State): Event[] | Rejection;
  evolve(state: State, event: Event): State;
  initialState: State;
  isRejection(result: Event[] | Rejection): result is Rejection;
}

const deepFreeze = <T>(value: T): T => {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
};

export const DeciderSpecification = {
  for<C, E, S, R extends { code: string; reason: string }>(d: Decider<C, E, S, R>) {
    return {
      given(events: readonly E[]) {
        const state = deepFreeze(events.reduce(d.evolve, d.initialState));
        return {
          when(command: C) {
            const before = structuredClone(state);
            const result = d.decide(command, state);
            const emitted = (): E[] => {
              if (d.isRejection(result)) throw new Error(`expected events, got rejection ${result.code}: ${result.reason}`);
              return result;
            };
            return {
              /** Exactly these events. */
              then(expected: readonly E[]) { expect(emitted()).toEqual(expected); },
              /** Events matching these partial shapes, in order. */
              thenMatches(expected: readonly unknown[]) {
                const got = emitted();
                expect(got).toHaveLength(expected.length);
                expected.forEach((e, i) => expect(got[i]).toMatchObject(e as object));
              },
              /** The state after applying the emitted events. */
              thenState(check: (next: S) => void) { check(emitted().reduce(d.evolve, state)); },
              /** A rejection with this code (and a reason matching the pattern); the state is untouched. */
              thenRejects(code: R['code'], reason?: RegExp) {
                if (!d.isRejection(result)) throw new Error(`expected rejection ${code}, got events ${JSON.stringify(result)}`);
                expect(result.code).toBe(code);
                if (reason) expect(result.reason).toMatch(reason);
                expect(state).toEqual(before);
              },
            };
          },
        };
      },
    };
  },
};
