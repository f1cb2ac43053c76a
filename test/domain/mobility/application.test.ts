import { describe, expect, it } from 'vitest';
import { MOB, actor, at, cmd, estimatedGrant, history, path, spec, submit } from './fixtures';

describe('SubmitApplication', () => {
  it('records the plan with the BM duration of a long-term HE student (150 days, §1.7) and its limit rule', () =>
    spec.given([]).when(submit()).thenMatches([{
      type: 'ApplicationSubmitted', version: 2,
      payload: {
        actor, at: at('2025-03-01'), mobilityId: MOB, siteId: null, activity: 'HE-SMS', funderLineId: 'EU-KA131-2024',
        plannedDays: 150, durationRuleId: 'DUR-HE-STU-LT',
        plan: { receivingCountry: 'DE', distanceKm: 1050, greenTravel: false, fewerOpportunities: false, longTerm: true, blended: false, hybrid: false },
      },
    }]));

  it('rejects a long-term HE stay under 2 months, naming the limit and its rule id (§1.6 [V S7])', () =>
    // 1 Sep – 15 Oct = 30 + 15 = 45 BM days < 60
    spec.given([]).when(submit({ endDate: '2025-10-15' })).thenRejects('duration-below-minimum', /45 days are below the minimum of 60 days \(rule DUR-HE-STU-LT/));

  it('rejects more than 12 months (360 BM days)', () =>
    // 1 Sep 2025 – 30 Sep 2026 = 13 × 30 = 390 days
    spec.given([]).when(submit({ endDate: '2026-09-30' })).thenRejects('duration-above-maximum', /390 days exceed the maximum of 360 days \(rule DUR-HE-STU-LT/));

  it('short-term HE student mobility must be blended or doctoral (§1.6 [V S7])', () => {
    spec.given([]).when(submit({ longTerm: false, endDate: '2025-09-10' })).thenRejects('invalid-plan', /blended or doctoral/);
    // blended, 1–10 Sep = 10 actual days, within 5–30
    spec.given([]).when(submit({ blended: true, endDate: '2025-09-10' })).thenMatches([{ payload: { plannedDays: 10, durationRuleId: 'DUR-HE-STU-ST', plan: { longTerm: false } } }]);
  });

  it('staff mobility counts actual days: HE-STA 2 days – 2 months (§1.6 [S S1])', () => {
    spec.given([]).when(submit({ endDate: '2025-09-01' }, { activity: 'HE-STA' })).thenRejects('duration-below-minimum', /1 days are below the minimum of 2 days \(rule DUR-HE-STAFF/);
    spec.given([]).when(submit({ endDate: '2025-09-05' }, { activity: 'HE-STA' })).thenMatches([{ payload: { plannedDays: 5 } }]);
    spec.given([]).when(submit({ longTerm: true, endDate: '2025-09-05' }, { activity: 'HE-STA' })).thenRejects('invalid-plan', /only as a short-term/);
  });

  it('accepts a fewer-opportunities criterion code but keeps only the boolean in the event (users-and-processes §003)', () => {
    const r = spec.given([]).when(submit({ fewerOpportunities: true, fewerOpportunitiesCriterion: 'FO-03' }));
    r.thenMatches([{ payload: { plan: { fewerOpportunities: true } } }]);
    const [e] = history([submit({ fewerOpportunities: true, fewerOpportunitiesCriterion: 'FO-03' })]);
    expect(JSON.stringify(e)).not.toContain('FO-03');
  });

  it('refuses a criterion for a participant not flagged with fewer opportunities', () =>
    spec.given([]).when(submit({ fewerOpportunitiesCriterion: 'FO-03' })).thenRejects('criterion-without-fewer-opportunities', /GDPR-FO-CODE/));

  it('refuses an end date before the start date, and a second submission', () => {
    spec.given([]).when(submit({ endDate: '2025-08-01' })).thenRejects('invalid-dates');
    spec.given(history(path.applied())).when(submit()).thenRejects('wrong-stage', /already has one \(stage 'applied'\)/);
  });

  it('refuses a command for another mobility', () =>
    spec.given(history(path.applied())).when({ ...cmd('SelectParticipant', '2025-04-01', { estimatedGrant }), mobilityId: '2024-1-FR01-KA131-HED-000123-MOB-00002' })
      .thenRejects('wrong-mobility'));
});

describe('selection', () => {
  it('SelectParticipant carries the estimated grant lines and the dashboard facts', () =>
    spec.given(history(path.applied())).when(cmd('SelectParticipant', '2025-04-01', { estimatedGrant })).then([{
      type: 'ParticipantSelected', version: 2,
      payload: {
        actor, at: at('2025-04-01'), estimatedGrant, fromReserveList: false, funding: [],
        facts: { activity: 'HE-SMS', funderLineId: 'EU-KA131-2024', hostCountry: 'DE', fewerOpportunities: false, greenTravel: false },
      },
    }]));

  it('RejectApplication with a rank places on the reserve list; PromoteFromReserveList selects', () => {
    const reserve = cmd('RejectApplication', '2025-04-01', { reasonCode: 'selection-ranking', reserveListRank: 3 });
    spec.given(history(path.applied())).when(reserve).thenMatches([{ type: 'PlacedOnReserveList', payload: { rank: 3 } }]);
    spec.given(history([...path.applied(), reserve])).when(cmd('PromoteFromReserveList', '2025-05-01', { estimatedGrant }))
      .thenState((s) => {
        expect(s.stage).toBe('selected');
        expect(s.stage === 'selected' && s.selection.fromReserveList).toBe(true);
      });
  });

  it('RejectApplication without a rank rejects, from the reserve list too', () => {
    spec.given(history(path.applied())).when(cmd('RejectApplication', '2025-04-01', { reasonCode: 'not-eligible' }))
      .thenMatches([{ type: 'ApplicationRejected', payload: { reasonCode: 'not-eligible', fromStage: 'applied' } }]);
    const reserve = cmd('RejectApplication', '2025-04-01', { reasonCode: 'selection-ranking', reserveListRank: 1 });
    spec.given(history([...path.applied(), reserve])).when(cmd('RejectApplication', '2025-07-01', { reasonCode: 'no-budget' }))
      .thenMatches([{ type: 'ApplicationRejected', payload: { fromStage: 'reserve-list' } }]);
  });

  it('a selected participant cannot be rejected nor promoted', () => {
    spec.given(history(path.selected())).when(cmd('RejectApplication', '2025-04-02', { reasonCode: 'other' })).thenRejects('wrong-stage', /\(stage 'selected'\)/);
    spec.given(history(path.selected())).when(cmd('PromoteFromReserveList', '2025-04-02', { estimatedGrant })).thenRejects('wrong-stage', /not on the reserve list/);
  });

  it('WithdrawApplication before the agreement; after it, cancellation is the way', () => {
    spec.given(history(path.selected())).when(cmd('WithdrawApplication', '2025-05-01', { reasonCode: 'personal' }))
      .thenMatches([{ type: 'ApplicationWithdrawn', payload: { fromStage: 'selected' } }]);
    spec.given(history(path.agreed())).when(cmd('WithdrawApplication', '2025-07-01', { reasonCode: 'personal' })).thenRejects('wrong-stage', /cancel the mobility/);
  });
});

describe('SignAgreement (§2 participant pre-financing [V S16])', () => {
  const sign = (pct: number, p = '2025-06-05', i = '2025-06-08') =>
    cmd('SignAgreement', '2025-06-10', { participantSignedOn: p, institutionSignedOn: i, prefinancingPercent: pct });

  it('computes 70 % pre-financing and its due date: earliest of last signature + 30 days and the start date', () =>
    // 70 % × 330 900 = 231 630 cents; last signature 8 Jun + 30 days = 8 Jul, before the 1 Sep start.
    spec.given(history(path.selected())).when(sign(70)).then([{
      type: 'AgreementSigned', version: 1,
      payload: {
        actor, at: at('2025-06-10'), participantSignedOn: '2025-06-05', institutionSignedOn: '2025-06-08', prefinancingPercent: 70,
        grantTotalCents: 330_900, prefinancingCents: 231_630, prefinancingDueOn: '2025-07-08', learningAgreementVersion: 1,
      },
    }]));

  it('pre-financing is due on the start date when that comes first', () => {
    const late = [...path.applied(), cmd('SelectParticipant', '2025-04-01', { estimatedGrant })];
    // signatures 20 Aug → +30 = 19 Sep; start 1 Sep is earlier
    spec.given(history(late)).when(cmd('SignAgreement', '2025-08-21', { participantSignedOn: '2025-08-20', institutionSignedOn: '2025-08-20', prefinancingPercent: 100 }))
      .thenMatches([{ payload: { prefinancingDueOn: '2025-09-01', prefinancingCents: 330_900 } }]);
  });

  it('refuses a rate outside 70–100 % with the rule id', () =>
    spec.given(history(path.selected())).when(sign(60)).thenRejects('prefinancing-rate-out-of-range', /PAY-PREFIN-RATE/));

  it('refuses a signature dated after the recording date', () =>
    spec.given(history(path.selected())).when(sign(80, '2025-06-05', '2025-06-11')).thenRejects('signature-in-future'));

  it('names the rule when the participant is not selected', () =>
    spec.given(history(path.applied())).when(sign(70)).thenRejects('wrong-stage', /^cannot sign the agreement: the participant has not been selected \(stage 'applied'\)$/));
});

describe('ConfirmDeparture', () => {
  it('records the actual start and its shift from the plan', () =>
    spec.given(history(path.agreed())).when(cmd('ConfirmDeparture', '2025-09-04', { actualStartDate: '2025-09-03' }))
      .thenMatches([{ type: 'DepartureConfirmed', payload: { plannedStartDate: '2025-09-01', actualStartDate: '2025-09-03', daysShifted: 2 } }]));

  it('needs a signed agreement and a start that has happened', () => {
    spec.given(history(path.selected())).when(cmd('ConfirmDeparture', '2025-09-02', { actualStartDate: '2025-09-01' })).thenRejects('wrong-stage', /agreement has not been signed/);
    spec.given(history(path.agreed())).when(cmd('ConfirmDeparture', '2025-08-30', { actualStartDate: '2025-09-01' })).thenRejects('invalid-dates', /future/);
  });
});

describe('CancelMobility', () => {
  it('before departure releases the estimate and tells how much to recover', () => {
    const paid = [...path.agreed(), cmd('RecordPaymentOrdered', '2025-06-20', { kind: 'prefinancing', amountCents: 231_630, paymentId: 'PAY-1' })];
    spec.given(history(paid)).when(cmd('CancelMobility', '2025-08-01', { reasonCode: 'host-cancelled' }))
      .thenMatches([{ type: 'MobilityCancelled', payload: { fromStage: 'agreed', releasedCents: 330_900, toRecoverCents: 231_630 } }]);
  });

  it('after departure is refused: interruption or force majeure instead (§2 Force majeure)', () =>
    spec.given(history(path.departed())).when(cmd('CancelMobility', '2025-10-01', { reasonCode: 'other' })).thenRejects('cancel-after-departure', /interruption or force majeure/));

  it('a closed mobility cannot be cancelled again', () => {
    const cancelled = [...path.applied(), cmd('CancelMobility', '2025-03-02', { reasonCode: 'other' })];
    spec.given(history(cancelled)).when(cmd('CancelMobility', '2025-03-03', { reasonCode: 'other' })).thenRejects('wrong-stage', /already closed/);
  });
});

