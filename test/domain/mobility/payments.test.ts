import { describe, it } from 'vitest';
import type { GrantBreakdown } from '../../../domain/grant/breakdown';
import { cmd, history, path, shorterFinalGrant, spec } from './fixtures';

const pay = (kind: 'prefinancing' | 'balance' | 'recovery', amountCents: number, paymentId: string, on = '2025-06-20') =>
  cmd('RecordPaymentOrdered', on, { kind, amountCents, paymentId });
const prefinanced = () => [...path.agreed(), pay('prefinancing', 231_630, 'PAY-1')];
const certified = (finalGrant: GrantBreakdown) => [...prefinanced(), cmd('ConfirmDeparture', '2025-09-02', { actualStartDate: '2025-09-01' }),
  cmd('RecordCertificateOfAttendance', '2026-02-05', { actualStartDate: '2025-09-01', actualEndDate: '2026-01-31', finalGrant })];

/** A stay cut to 60 days: 600 × 60 / 30 = 1,200 € + 309 € travel = 1,509.00 €, less than the 2,316.30 € pre-financed. */
const cutGrant: GrantBreakdown = {
  totalCents: 150_900, currency: 'EUR', callYear: 2024, days: 60,
  lines: [
    { ruleId: 'HE-LT-IND-G1', item: 'individual support', amountCents: 120_000, basis: '600 €/month × 60 / 30' },
    { ruleId: 'TRAVEL-500-1999', item: 'travel', amountCents: 30_900, basis: '500–1,999 km, standard' },
  ],
};

describe('pre-financing (§2 [V S16])', () => {
  it('up to the agreed 70 % share, with days late against the due date', () => {
    spec.given(history(path.agreed())).when(pay('prefinancing', 231_630, 'PAY-1'))
      .thenMatches([{ type: 'PaymentOrdered', payload: { kind: 'prefinancing', amountCents: 231_630, paidTotalCents: 231_630, dueOn: '2025-07-08', daysLate: 0, facts: { funderLineId: 'EU-KA131-2024' } } }]);
    // ordered 15 Jul, due 8 Jul → 7 days late
    spec.given(history(path.agreed())).when(pay('prefinancing', 200_000, 'PAY-1', '2025-07-15')).thenMatches([{ payload: { daysLate: 7 } }]);
  });

  it('refuses more than the agreed share, a second pre-financing, and any before signature', () => {
    spec.given(history(path.agreed())).when(pay('prefinancing', 231_631, 'PAY-1')).thenRejects('payment-exceeds-grant', /231630 cents \(70 %.*PAY-PREFIN-RATE/);
    spec.given(history(prefinanced())).when(pay('prefinancing', 1, 'PAY-2')).thenRejects('prefinancing-already-ordered');
    spec.given(history(path.selected())).when(pay('prefinancing', 1, 'PAY-1')).thenRejects('wrong-stage');
  });

  it('refuses a payment id already used', () =>
    spec.given(history(prefinanced())).when(pay('prefinancing', 1, 'PAY-1')).thenRejects('duplicate-payment-id'));
});

describe('balance (§2 certificate of attendance, balance payment)', () => {
  it('no balance before attendance is certified (PAY-BALANCE-AFTER-COA)', () =>
    spec.given(history([...prefinanced(), cmd('ConfirmDeparture', '2025-09-02', { actualStartDate: '2025-09-01' })]))
      .when(pay('balance', 1000, 'PAY-2', '2025-12-01')).thenRejects('balance-before-attendance', /PAY-BALANCE-AFTER-COA/));

  it('tops up exactly to the final grant, never beyond', () => {
    // 310 900 − 231 630 = 79 270
    spec.given(history(certified(shorterFinalGrant))).when(pay('balance', 79_270, 'PAY-2', '2026-02-10'))
      .thenMatches([{ payload: { kind: 'balance', paidTotalCents: 310_900, dueOn: null, daysLate: 0 } }]);
    spec.given(history(certified(shorterFinalGrant))).when(pay('balance', 79_271, 'PAY-2', '2026-02-10')).thenRejects('payment-exceeds-grant', /PAY-BALANCE-CAP/);
  });

  it('counts days late against report + 45 days once the report is in', () => {
    const reported = [...certified(shorterFinalGrant), cmd('InviteParticipantReport', '2026-02-06', {}), cmd('RecordParticipantReportSubmitted', '2026-02-20', { submittedOn: '2026-02-20' })];
    // due 6 Apr, ordered 16 Apr → 10 days late
    spec.given(history(reported)).when(pay('balance', 79_270, 'PAY-2', '2026-04-16')).thenMatches([{ payload: { dueOn: '2026-04-06', daysLate: 10 } }]);
  });
});

describe('recovery (§2: repayment when the balance is insufficient)', () => {
  it('only the overpayment: 231 630 paid − 150 900 due = 80 730 cents', () => {
    spec.given(history(certified(cutGrant))).when(pay('recovery', 80_730, 'REC-1', '2026-02-10'))
      .thenMatches([{ type: 'RecoveryOrdered', payload: { amountCents: 80_730, grantDueCents: 150_900, paidTotalCents: 150_900 } }]);
    spec.given(history(certified(cutGrant))).when(pay('recovery', 80_731, 'REC-1', '2026-02-10')).thenRejects('recovery-exceeds-overpayment');
  });

  it('no recovery when the final grant covers what was paid', () =>
    spec.given(history(certified(shorterFinalGrant))).when(pay('recovery', 1, 'REC-1', '2026-02-10')).thenRejects('recovery-not-due', /PAY-RECOVERY/));

  it('after a cancellation the whole pre-financing is recoverable', () => {
    const cancelled = [...prefinanced(), cmd('CancelMobility', '2025-08-01', { reasonCode: 'participant-withdrew' })];
    spec.given(history(cancelled)).when(pay('recovery', 231_630, 'REC-1', '2025-08-02')).thenMatches([{ payload: { grantDueCents: 0, paidTotalCents: 0 } }]);
    spec.given(history(cancelled)).when(pay('balance', 1, 'PAY-2', '2025-08-02')).thenRejects('wrong-stage');
  });
});
