import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type CommandOf, type MobilityCommand, type MobilityState, type TakeOverStage, assertInvariant, decide, dates, evolve, foldEvents,
  invariantViolations, isRejection, liveDeadlines, stageAfter,
} from '../../../domain/mobility';
import { DEFAULT_POLICY } from '../../../domain/calendar/policy';
import { actor, at, cmd, estimatedGrant, history, MOB, path, shorterFinalGrant, spec } from './fixtures';

/**
 * Taking over a mobility under way (issue 13, item 4): a mobility moved from spreadsheets or another tool
 * starts at its stage with its known facts. The takeover is decided as the commands it stands for, under
 * their rules; the engine supplies the grants.
 */
type Facts = Omit<CommandOf<'TakeOverMobility'>, 'type' | 'mobilityId' | 'actor' | 'at'>;
const takeOver = (on: string, facts: Partial<Facts> & Pick<Facts, 'stage'>): CommandOf<'TakeOverMobility'> =>
  cmd('TakeOverMobility', on, {
    selectedOn: '2025-04-01', agreement: null, departedOn: null, attendance: null, payments: [], source: 'import:IMP-1 row 2',
    estimatedGrant, finalGrant: null, ...facts,
  });
const agreement = { participantSignedOn: '2025-06-05', institutionSignedOn: '2025-06-08', prefinancingPercent: 70 };
const applied = () => history(path.applied());

describe('TakeOverMobility', () => {
  it('given an application, when taken over at departed with its pre-financing paid, then one TakeOverRecorded carries the steps the engine decided', () => {
    const c = takeOver('2025-10-01', { stage: 'departed', agreement, departedOn: '2025-09-01', payments: [{ kind: 'prefinancing', paymentId: 'OLD-PF-1', amountCents: 231_630, paidOn: '2025-06-20' }] });
    spec.given(applied()).when(c).thenMatches([{
      type: 'TakeOverRecorded', version: 2,
      payload: {
        actor, at: at('2025-10-01'), source: 'import:IMP-1 row 2', stage: 'departed',
        steps: [
          { type: 'ParticipantSelected', payload: { at: '2025-04-01T00:00:00.000Z', estimatedGrant, fromReserveList: false } },
          // 70 % of 3,309.00 € = 2,316.30 €, due by the calendar from the signatures.
          { type: 'AgreementSigned', payload: { at: '2025-06-08T00:00:00.000Z', prefinancingPercent: 70, grantTotalCents: 330_900, prefinancingCents: 231_630 } },
          { type: 'PaymentOrdered', payload: { kind: 'prefinancing', paymentId: 'OLD-PF-1', amountCents: 231_630, paidTotalCents: 231_630 } },
          { type: 'DepartureConfirmed', payload: { actualStartDate: '2025-09-01', daysShifted: 0 } },
        ],
      },
    }]);
    spec.given(applied()).when(c).thenState((s) => {
      expect(s.stage).toBe('departed');
      assertInvariant(s);
      if (s.stage !== 'departed') return;
      expect(s.payments.prefinancingCents).toBe(231_630);
      expect(s.audit).toMatchObject({ events: 2, lastActor: actor, lastAt: at('2025-10-01') });
    });
  });

  it('given an application, when taken over at attended, then the final grant is the engine\'s and the report deadline runs from the end date', () => {
    const c = takeOver('2026-02-10', { stage: 'attended', agreement, departedOn: '2025-09-01', attendance: { actualStartDate: '2025-09-01', actualEndDate: '2026-01-21' }, finalGrant: shorterFinalGrant });
    spec.given(applied()).when(c).thenState((s) => {
      expect(s.stage).toBe('attended');
      if (s.stage !== 'attended') return;
      expect(s.attendance.finalGrant).toEqual(shorterFinalGrant);
      expect(s.attendance.actualEndDate).toBe('2026-01-21');
      // Its deadlines run from there: the calendar gives the stage's deadlines from the imported facts.
      expect(liveDeadlines(s, DEFAULT_POLICY, '2026-02-10').length).toBeGreaterThan(0);
    });
  });

  it('refuses what the commands it stands for refuse, naming the step and the rule', () => {
    // pre-financing above the agreed share (PAY-PREFIN-RATE)
    spec.given(applied()).when(takeOver('2025-10-01', { stage: 'agreed', agreement, payments: [{ kind: 'prefinancing', paymentId: 'X-1', amountCents: 300_000, paidOn: '2025-06-20' }] }))
      .thenRejects('payment-exceeds-grant', /take over the mobility \(payment X-1\).*agreed pre-financing/);
    // a rate outside 70–100 %
    spec.given(applied()).when(takeOver('2025-10-01', { stage: 'agreed', agreement: { ...agreement, prefinancingPercent: 50 } }))
      .thenRejects('prefinancing-rate-out-of-range', /\(agreement\)/);
    // a balance before the certificate of attendance
    spec.given(applied()).when(takeOver('2025-10-01', { stage: 'departed', agreement, departedOn: '2025-09-01', payments: [{ kind: 'balance', paymentId: 'B-1', amountCents: 1000, paidOn: '2025-09-20' }] }))
      .thenRejects('balance-before-attendance', /\(payment B-1\)/);
    // a departure long before the plan
    spec.given(applied()).when(takeOver('2025-10-01', { stage: 'departed', agreement, departedOn: '2025-06-01' })).thenRejects('invalid-dates', /\(departure\)/);
  });

  it('refuses facts missing for the stage, facts of a later stage, dates after the takeover, and any stage but applied', () => {
    spec.given(applied()).when(takeOver('2025-10-01', { stage: 'agreed' })).thenRejects('takeover-facts', /agreement's dates are required/);
    spec.given(applied()).when(takeOver('2025-10-01', { stage: 'selected', departedOn: '2025-09-01' })).thenRejects('takeover-facts', /departure date is not expected/);
    spec.given(applied()).when(takeOver('2025-10-01', { stage: 'attended', agreement, departedOn: '2025-09-01', attendance: { actualStartDate: '2025-09-01', actualEndDate: '2026-01-31' }, finalGrant: estimatedGrant }))
      .thenRejects('invalid-dates', /attendance.actualEndDate 2026-01-31 is after the takeover date 2025-10-01/);
    spec.given(history(path.selected())).when(takeOver('2025-10-01', { stage: 'selected' })).thenRejects('wrong-stage', /just applied for/);
  });

  it('is folded by the lifecycle table: TakeOverRecorded follows applied and enters the stage it names', () => {
    const events = history([...path.applied(), takeOver('2025-10-01', { stage: 'agreed', agreement })]);
    const e = events[1]!;
    expect(stageAfter(e.type, 'applied', e.payload)).toBe('agreed');
    expect(foldEvents(events).stage).toBe('agreed');
  });
});

/**
 * Property: a taken-over mobility is in the state the normal commands reach with the same facts (same stage,
 * same grants, agreement, dates and payments); only the audit trail (one event, the importer) and the
 * instants of the steps differ.
 */
describe('a takeover reaches the state of the normal commands with the same facts (property)', () => {
  const stageArb = fc.constantFrom<TakeOverStage>('selected', 'agreed', 'departed', 'attended');
  const factsArb = fc.record({
    stage: stageArb,
    pct: fc.integer({ min: 70, max: 100 }),
    sigShift: fc.integer({ min: 0, max: 40 }),
    startShift: fc.integer({ min: -5, max: 5 }),
    endShift: fc.integer({ min: 0, max: 20 }),
    prefinPermille: fc.option(fc.integer({ min: 1, max: 1000 }), { nil: null }),
    balancePermille: fc.option(fc.integer({ min: 1, max: 1000 }), { nil: null }),
  });
  /** The state without its audit trail and the instants facts were recorded at (the takeover records them at their dates). */
  const comparable = (s: MobilityState): unknown => {
    if (s.stage === 'none') return s;
    const { audit: _a, ...rest } = s;
    const strip = (v: unknown): unknown => Array.isArray(v) ? v.map(strip)
      : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).filter(([k]) => k !== 'at' && !k.endsWith('At')).map(([k, x]) => [k, strip(x)])) : v;
    return strip(rest);
  };

  it('for random stages and facts', () => {
    fc.assert(fc.property(factsArb, (f) => {
      const signed = dates.addDays('2025-05-01', f.sigShift);
      const departedOn = dates.addDays('2025-09-01', f.startShift);
      const end = dates.addDays('2026-01-31', -f.endShift);
      const ag = f.stage === 'selected' ? null : { participantSignedOn: signed, institutionSignedOn: signed, prefinancingPercent: f.pct };
      const prefinancing = ag ? Math.floor((330_900 * f.pct) / 100) : 0;
      const payments: Facts['payments'] = [];
      if (ag && f.prefinPermille) payments.push({ kind: 'prefinancing', paymentId: 'PF-1', amountCents: Math.max(1, Math.floor((prefinancing * f.prefinPermille) / 1000)), paidOn: dates.addDays(signed, 3) });
      const paidSoFar = payments.reduce((n, p) => n + p.amountCents, 0);
      if (f.stage === 'attended' && f.balancePermille && shorterFinalGrant.totalCents > paidSoFar) {
        payments.push({ kind: 'balance', paymentId: 'BAL-1', amountCents: Math.max(1, Math.floor(((shorterFinalGrant.totalCents - paidSoFar) * f.balancePermille) / 1000)), paidOn: '2026-02-20' });
      }
      const departed = f.stage === 'departed' || f.stage === 'attended';
      const attended = f.stage === 'attended';
      const when = '2026-03-01';

      // The normal way: the commands one by one.
      const normal: MobilityCommand[] = [...path.applied(), cmd('SelectParticipant', '2025-04-01', { estimatedGrant })];
      if (ag) normal.push(cmd('SignAgreement', signed, ag));
      for (const p of payments.filter((x) => x.kind === 'prefinancing')) normal.push(cmd('RecordPaymentOrdered', p.paidOn, { kind: p.kind, amountCents: p.amountCents, paymentId: p.paymentId }));
      if (departed) normal.push(cmd('ConfirmDeparture', departedOn, { actualStartDate: departedOn }));
      if (attended) normal.push(cmd('RecordCertificateOfAttendance', end, { actualStartDate: departedOn, actualEndDate: end, finalGrant: shorterFinalGrant }));
      for (const p of payments.filter((x) => x.kind === 'balance')) normal.push(cmd('RecordPaymentOrdered', p.paidOn, { kind: p.kind, amountCents: p.amountCents, paymentId: p.paymentId }));
      const byCommands = foldEvents(history(normal));

      // The takeover.
      const c = takeOver(when, {
        stage: f.stage, selectedOn: '2025-04-01', agreement: ag, departedOn: departed ? departedOn : null,
        attendance: attended ? { actualStartDate: departedOn, actualEndDate: end } : null, finalGrant: attended ? shorterFinalGrant : null, payments,
      });
      const d = decide(c, foldEvents(history(path.applied())));
      if (isRejection(d)) throw new Error(`takeover refused: ${d.reason}`);
      const taken = d.reduce(evolve, foldEvents(history(path.applied())));

      expect(taken.stage).toBe(f.stage);
      expect(invariantViolations(taken)).toEqual([]);
      expect(comparable(taken)).toEqual(comparable(byCommands));
    }), { numRuns: 200, seed: 20261313 });
  });

  it('the mobility id of the command is the state\'s', () => {
    const other = { ...takeOver('2025-10-01', { stage: 'selected' }), mobilityId: `${MOB.slice(0, -1)}9` };
    expect(isRejection(decide(other, foldEvents(history(path.applied()))))).toBe(true);
  });
});
