/**
 * Lifecycle rules the decider enforces, each with an id and its reference section
 * (/work/shared/domain/erasmus-ka1.md; tags [V]/[S]/[U] = certainty). Duration limits live in domain/activity.ts.
 */
export interface LifecycleRule {
  readonly id: string;
  readonly source: string;
  readonly text: string;
}

const rule = (id: string, source: string, text: string): LifecycleRule => ({ id, source, text });

export const RULES = {
  shortTermHeStudent: rule('DUR-HE-STU-ST-KIND', '§1.6 [V S7]', 'short-term HE student mobility must be blended or doctoral'),
  forceMajeureLiftsMinimum: rule('FM-LIFTS-MIN', '§2 Force majeure [V S22]', 'under force majeure the minimum-duration check is lifted (the maximum stays)'),
  extensionNotice: rule('EXT-NOTICE', '§2 LA changes during mobility [S S18, Örebro]', "an extension is requested at least one month (the project's policy) before the current end date"),
  prefinancingRate: rule('PAY-PREFIN-RATE', '§2 Participant pre-financing [V S16]', 'pre-financing is 70–100 % of the grant'),
  prefinancingDue: rule('PAY-PREFIN-DUE', '§2 Participant pre-financing [V S16]', 'pre-financing is paid by the earliest of 30 days after both signatures or the start date'),
  balanceAfterAttendance: rule('PAY-BALANCE-AFTER-COA', '§2 Certificate of attendance [S Örebro, UPC]', 'the balance is paid once the certificate of attendance fixes the final grant'),
  balanceNotAboveFinal: rule('PAY-BALANCE-CAP', '§2 Certificate of attendance [S]', 'payments never exceed the final grant'),
  balanceDue: rule('PAY-BALANCE-45D', '§2 Balance payment [V S16]', 'the balance or a recovery order is issued within 45 days of the participant report'),
  recoveryOnlyWhenOverpaid: rule('PAY-RECOVERY', '§2 Certificate of attendance [S Örebro, UPC]', 'a recovery is ordered only when the amount paid exceeds the grant due'),
  cancelBeforeDeparture: rule('CANCEL-BEFORE-DEPARTURE', '§2 Force majeure [V S22]', 'after departure a mobility is not cancelled: record an interruption or force majeure'),
  reportDue: rule('REPORT-DUE-30D', '§2 Participant report deadline [S S20]', 'the participant report is due 30 days after the invitation'),
  reportAfterEnd: rule('REPORT-AFTER-END', '§2 Participant report [V S19]', 'the report invitation is sent after the end date'),
  reportReminder24h: rule('REPORT-REMIND-24H', '§2 Participant report reminders [V S19]', 'a manual reminder is sent at most once per 24 h'),
  transcriptDue: rule('TOR-5W', '§2 ToR from the receiver [V S17]', 'the receiver issues the transcript within 5 weeks (35 days, counted from the end date)'),
  recognitionDue: rule('RECOG-5W', '§2 Recognition by the sender [V S17]', 'the sender recognises within 5 weeks (35 days) of receiving the transcript'),
  recognitionFull: rule('RECOG-FULL', '§2 Recognition by the sender [V S17]', 'full recognition means every transcript credit is recognised'),
  mobilityAbroad: rule('PLAN-ABROAD', '§1.1 Mobility activities [V]', 'a mobility goes abroad: the receiving country differs from the sending country'),
  departureWindow: rule('DEP-WINDOW', '§2 Departure [S]', 'the actual start lies at most 60 days before the planned (or confirmed) start'),
  fewerOpportunitiesCode: rule('GDPR-FO-CODE', 'users-and-processes.md §003', 'a criterion code is given only for a fewer-opportunities participant'),
} as const satisfies Record<string, LifecycleRule>;

/** "rule EXT-NOTICE, §2 … [S …]" for human reasons. */
export const cite = (r: LifecycleRule): string => `rule ${r.id}, ${r.source}`;

/** How much earlier than planned a participant may really leave (plausibility: a date decades off is a typing error). */
export const DEPARTURE_EARLY_DAYS = 60;

/** Percentages allowed for participant pre-financing (reference §2 [V S16]). */
export const PREFINANCING_PERCENT = { min: 70, max: 100 } as const;
