import { describe, expect, it } from 'vitest';
import { cmd, extendedGrant, history, path, spec, submit } from './fixtures';
import { Policy } from '../../../domain/calendar/policy';
import { decide, foldEvents, isRejection } from '../../../domain/mobility';

/** Mobility runs 1 Sep 2025 – 31 Jan 2026 (150 BM days); departure confirmed on 1 Sep. */
describe('RecordInterruption (§1.6 counting: interrupted duration)', () => {
  const interrupt = (from: string, to: string) => cmd('RecordInterruption', '2025-11-20', { from, to, reasonCode: 'host-closure' });

  it('records the period and its actual days', () =>
    // 1–10 Nov = 10 days
    spec.given(history(path.departed())).when(interrupt('2025-11-01', '2025-11-10'))
      .thenMatches([{ type: 'MobilityInterrupted', payload: { from: '2025-11-01', to: '2025-11-10', days: 10, reasonCode: 'host-closure' } }]));

  it('refuses overlapping periods, periods outside the mobility and before departure', () => {
    const once = [...path.departed(), interrupt('2025-11-01', '2025-11-10')];
    spec.given(history(once)).when(interrupt('2025-11-10', '2025-11-12')).thenRejects('interruption-overlap', /overlaps the interruption 2025-11-01–2025-11-10/);
    spec.given(history(path.departed())).when(interrupt('2026-01-25', '2026-02-05')).thenRejects('invalid-dates', /outside the mobility/);
    spec.given(history(path.departed())).when(interrupt('2025-11-05', '2025-11-01')).thenRejects('invalid-dates');
    spec.given(history(path.agreed())).when(interrupt('2025-11-01', '2025-11-10')).thenRejects('wrong-stage', /not in mobility \(stage 'agreed'\)/);
  });
});

describe('DeclareForceMajeure (§2 [V S22])', () => {
  it('keeps a reason code only, once', () => {
    const fm = cmd('DeclareForceMajeure', '2025-10-01', { reasonCode: 'public-health-emergency' });
    spec.given(history(path.departed())).when(fm).thenMatches([{ type: 'ForceMajeureDeclared', payload: { reasonCode: 'public-health-emergency', stage: 'departed' } }]);
    spec.given(history([...path.departed(), fm])).when(fm).thenRejects('force-majeure-already-declared');
    spec.given(history(path.selected())).when(fm).thenRejects('wrong-stage');
  });

  it('lifts the minimum duration: a short HE stay then certifies with minimumMet false but flagged', () => {
    const fm = cmd('DeclareForceMajeure', '2025-10-01', { reasonCode: 'security-situation' });
    // 1 Sep – 15 Oct = 30 + 15 = 45 BM days < 60 minimum
    spec.given(history([...path.departed(), fm]))
      .when(cmd('RecordCertificateOfAttendance', '2025-10-20', { actualStartDate: '2025-09-01', actualEndDate: '2025-10-15', finalGrant: extendedGrant }))
      .thenMatches([{ payload: { physicalDays: 45, minimumMet: false, forceMajeure: true } }]);
  });
});

describe('extensions (§2 LA changes during mobility: ≥ 1 month before the end date)', () => {
  const request = (on: string, newEndDate = '2026-02-28') => cmd('RequestExtension', on, { newEndDate });

  it('accepts a request one month before the end date (the calendar\'s extension-request window: 31 Jan − 1 month = 31 Dec)', () =>
    spec.given(history(path.departed())).when(request('2025-12-31'))
      .thenMatches([{ type: 'ExtensionRequested', payload: { currentEndDate: '2026-01-31', newEndDate: '2026-02-28', noticeDays: 31 } }]));

  it('refuses a request the day after the window closes, naming rule EXT-NOTICE', () =>
    spec.given(history(path.departed())).when(request('2026-01-01')).thenRejects('extension-too-late', /at least 1 month\(s\) before the end date 2026-01-31, so by 2025-12-31.*30 days before.*EXT-NOTICE/));

  it("follows the project's policy: with 2 months' notice, 1 Dec is too late for a 31 Jan end", () => {
    const twoMonths = Policy.parse({ extensionNoticeMonths: 2 });
    const r = decide(request('2025-12-01'), foldEvents(history(path.departed())), twoMonths);
    expect(isRejection(r) && r.code).toBe('extension-too-late');
    expect(isRejection(decide(request('2025-11-30'), foldEvents(history(path.departed())), twoMonths))).toBe(false);
  });

  it('refuses an extension beyond 12 months (360 BM days) with the duration rule id', () =>
    // 1 Sep 2025 – 31 Oct 2026 = 14 × 30 = 420 days
    spec.given(history(path.departed())).when(request('2025-10-01', '2026-10-31')).thenRejects('duration-above-maximum', /420 days exceed the maximum of 360 days \(rule DUR-HE-STU-LT/));

  it('refuses a new end date that is not later, and a second pending request', () => {
    spec.given(history(path.departed())).when(request('2025-10-01', '2026-01-31')).thenRejects('invalid-dates');
    spec.given(history([...path.departed(), request('2025-12-01')])).when(request('2025-12-02', '2026-03-31')).thenRejects('extension-pending');
  });

  it('approval moves the end date and recalculates the estimated grant with its lines (§1.6 "grant recalculated when dates change")', () => {
    const requested = [...path.departed(), request('2025-12-01')];
    spec.given(history(requested)).when(cmd('ApproveExtension', '2025-12-05', { revisedGrant: extendedGrant })).thenMatches([
      // 1 Sep – 28 Feb = 6 × 30 = 180 days
      { type: 'ExtensionApproved', payload: { previousEndDate: '2026-01-31', newEndDate: '2026-02-28', durationDays: 180 } },
      // 390 900 − 330 900 = 60 000 cents
      { type: 'GrantRecalculated', payload: { cause: 'extension', previousTotalCents: 330_900, deltaCents: 60_000, estimatedGrant: extendedGrant } },
    ]);
    spec.given(history(requested)).when(cmd('ApproveExtension', '2025-12-05', { revisedGrant: extendedGrant })).thenState((s) => {
      expect(s.stage === 'departed' && [s.plan.endDate, s.originalEndDate, s.extensionsApproved, s.selection.estimatedGrant.totalCents])
        .toEqual(['2026-02-28', '2026-01-31', 1, 390_900]);
    });
  });

  it('refusal keeps the dates; approval or refusal needs a pending request', () => {
    const requested = [...path.departed(), request('2025-12-01')];
    spec.given(history(requested)).when(cmd('RefuseExtension', '2025-12-05', { reasonCode: 'host-declined' }))
      .thenState((s) => expect(s.stage !== 'none' && [s.plan.endDate, s.extension.status]).toEqual(['2026-01-31', 'refused']));
    spec.given(history(path.departed())).when(cmd('ApproveExtension', '2025-12-05', { revisedGrant: extendedGrant })).thenRejects('no-pending-extension');
    spec.given(history(path.departed())).when(cmd('RefuseExtension', '2025-12-05', { reasonCode: 'other' })).thenRejects('no-pending-extension');
  });

  it('refuses a revised grant below what has already been paid', () => {
    const paid = [...path.agreed(), cmd('RecordPaymentOrdered', '2025-06-20', { kind: 'prefinancing', amountCents: 231_630, paymentId: 'PAY-1' }),
      cmd('ConfirmDeparture', '2025-09-02', { actualStartDate: '2025-09-01' }), request('2025-12-01')];
    const low = { ...extendedGrant, totalCents: 200_000, lines: [{ ruleId: 'X', item: 'individual support', amountCents: 200_000, basis: 'test' }] };
    spec.given(history(paid)).when(cmd('ApproveExtension', '2025-12-05', { revisedGrant: low })).thenRejects('grant-below-paid', /231630 cents already paid/);
  });

  it('staff mobility: extension checks the 60-day staff maximum (§1.6 [S S1])', () => {
    // HE-STA 1 Sep – 30 Oct = 60 actual days (max); extending to 15 Nov = 76 days
    const staff = [submit({ endDate: '2025-10-30' }, { activity: 'HE-STA' }), ...path.departed().slice(1)];
    spec.given(history(staff)).when(request('2025-09-10', '2025-11-15')).thenRejects('duration-above-maximum', /76 days exceed the maximum of 60 days \(rule DUR-HE-STAFF/);
  });
});

describe('ChangeLearningAgreement (EWP OLA v1.2.0 reason codes, §4)', () => {
  it('bumps the LA version from 1 (signed with the agreement) to 2, 3…', () => {
    const change = cmd('ChangeLearningAgreement', '2025-09-20', { reasonCode: 'timetable-conflict' });
    spec.given(history(path.departed())).when(change).thenMatches([{ type: 'LearningAgreementChanged', payload: { reasonCode: 'timetable-conflict', version: 2 } }]);
    spec.given(history([...path.departed(), change])).when({ ...change, reasonCode: 'adding-virtual-component' }).thenMatches([{ payload: { version: 3 } }]);
  });

  it('needs a signed agreement and is closed once attendance is certified', () => {
    const change = cmd('ChangeLearningAgreement', '2025-05-01', { reasonCode: 'not-available' });
    spec.given(history(path.selected())).when(change).thenRejects('wrong-stage');
    spec.given(history(path.attended())).when(change).thenRejects('wrong-stage');
  });
});
