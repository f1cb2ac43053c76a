import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addDays } from '../../../domain/dates';
import {
  decideIncoming, evolveIncoming, INCOMING_ACTIONS, INCOMING_LIFECYCLE, IncomingEvent, type IncomingCommand, type IncomingState, IncomingKind,
  incomingActionsIn, incomingAllows, incomingIdFor, incomingStageAfter, initialIncomingState, isIncomingClosed, isIncomingRejection,
} from '../../../domain/incoming';

/**
 * The state machine, for random sessions of commands on random kinds and days:
 * - the decider refuses a command for its stage ('wrong-stage') exactly when the lifecycle table does not allow it;
 * - every accepted event is schema-valid, evolve accepts it, and it leads to the stage the table names;
 * - an open stay's stage never goes back; a closed one accepts no staff action;
 * - the actions offered for a state are never refused for their stage or kind.
 */
const id = incomingIdFor('F-LYON-003', 7);
const KINDS = IncomingKind.options;

const commandArb = (day: fc.Arbitrary<string>) => fc.oneof(
  fc.record({ type: fc.constant('SignAgreementAsReceiver' as const), at: day, signedOn: day, ectsPlanned: fc.option(fc.integer({ min: 1, max: 60 }), { nil: null }) }),
  fc.record({ type: fc.constant('ConfirmArrival' as const), at: day, arrivedOn: day }),
  fc.record({ type: fc.constant('IssueCertificateOfAttendance' as const), at: day, actualStartDate: day, actualEndDate: day, issuedOn: day }),
  fc.record({ type: fc.constant('IssueTranscriptOfRecords' as const), at: day, issuedOn: day, ects: fc.integer({ min: 0, max: 60 }) }),
  fc.record({ type: fc.constant('CancelIncoming' as const), at: day, reasonCode: fc.constantFrom('nomination-rejected', 'withdrawn-by-sender', 'other' as const) }),
  fc.record({ type: fc.constant('RecordNoShow' as const), at: day }),
  fc.record({ type: fc.constant('RecordIncomingDeadlineMissed' as const), at: day, deadline: fc.constantFrom('certificate-of-attendance', 'transcript-of-records' as const) }),
);

describe('incoming lifecycle: properties', () => {
  it('decide and the lifecycle table agree, and the stage only moves forward', () => {
    const day = fc.integer({ min: 0, max: 400 }).map((n) => addDays('2025-06-01', n));
    fc.assert(fc.property(
      fc.constantFrom(...KINDS), fc.integer({ min: 60, max: 200 }), fc.integer({ min: 0, max: 4 }), fc.array(commandArb(day), { maxLength: 25 }),
      (kind, startIn, lengthPick, raw) => {
        const length = { 'student-studies': 150, 'student-traineeship': 20, 'staff-teaching': 5, 'staff-training': 10, 'invited-expert': 3, 'hosted-teacher-in-training': 30, 'preparatory-visit': 3 }[kind] - (lengthPick % 2);
        const startDate = addDays('2025-06-01', startIn);
        const nomination: IncomingCommand = {
          type: 'RecordNomination', incomingId: id, at: '2025-06-01T09:00:00.000Z', actor: 'staff.x', institutionId: 'F-LYON-003', siteId: null, participantRef: 'P-ABCDEFGHIJKL',
          kind, sendingOrgId: 'D-BERLIN-01', sendingCountry: 'DE', startDate, endDate: addDays(startDate, length - 1),
        };
        let state: IncomingState = initialIncomingState;
        const first = decideIncoming(nomination, state);
        expect(isIncomingRejection(first)).toBe(false);
        for (const e of first as IncomingEvent[]) state = evolveIncoming(state, e);
        for (const r of raw) {
          const cmd = { ...r, incomingId: id, actor: 'staff.x', at: `${r.at}T10:00:00.000Z` } as IncomingCommand;
          const offered = incomingActionsIn(state).map((n) => INCOMING_ACTIONS[n].command as string);
          const d = decideIncoming(cmd, state);
          const allowedByTable = incomingAllows(state.stage, cmd.type);
          if (!allowedByTable) {
            expect(isIncomingRejection(d) && d.code).toBe('wrong-stage');
            continue;
          }
          if (isIncomingRejection(d)) {
            expect(d.code).not.toBe('wrong-stage');
            // What the console offers is never refused for its stage or its kind.
            if (offered.includes(cmd.type)) expect(['agreement-required', 'agreement-not-applicable', 'transcript-not-applicable']).not.toContain(d.code);
            continue;
          }
          for (const e of d) {
            expect(IncomingEvent.safeParse(e).success).toBe(true);
            const before = state.stage;
            state = evolveIncoming(state, e);
            expect(state.stage).toBe(incomingStageAfter(e.type, before));
            expect(INCOMING_LIFECYCLE[state.stage].order).toBeGreaterThanOrEqual(INCOMING_LIFECYCLE[before].order);
          }
        }
        if (isIncomingClosed(state)) expect(incomingActionsIn(state)).toEqual([]);
      },
    ), { numRuns: 400 });
  });
});
