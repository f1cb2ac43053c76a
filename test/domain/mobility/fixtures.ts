import type { GrantBreakdown } from '../../../domain/grant/breakdown';
import {
  type CommandOf, type CommandType, type MobilityCommand, type MobilityEvent, type MobilityState,
  decide, evolve, initialState, isRejection,
} from '../../../domain/mobility';
import { DeciderSpecification } from '../support/decider-spec';

export const spec = DeciderSpecification.for({ decide, evolve, initialState, isRejection });

export const MOB = '2024-1-FR01-KA131-HED-000123-MOB-00001';
export const actor = 'staff-0042';
export const at = (isoDate: string, time = '09:00:00'): string => `${isoDate}T${time}Z`;

/**
 * HE-SMS, Paris → Berlin, 1 Sep 2025 – 31 Jan 2026 = 5 BM months = 150 days (reference §1.7).
 * Grant by hand, call 2024, Germany group 1 at 600 €/month (§1.3 [V S9]) and the 500–1,999 km band (§1.2):
 *   individual support 600 € × 150 / 30 = 3,000.00 € = 300 000 cents
 *   travel, standard, 500–1,999 km       =   309.00 € =  30 900 cents
 *   total                                = 3,309.00 € = 330 900 cents
 */
export const estimatedGrant: GrantBreakdown = {
  totalCents: 330_900, currency: 'EUR', callYear: 2024, days: 150,
  lines: [
    { ruleId: 'HE-LT-IND-G1', item: 'individual support', amountCents: 300_000, basis: '600 €/month × 150 / 30' },
    { ruleId: 'TRAVEL-500-1999', item: 'travel', amountCents: 30_900, basis: '500–1,999 km, standard' },
  ],
};

/** Final grant after a shorter stay: 140 days → 600 × 140 / 30 = 2,800.00 € + 309 € travel = 3,109.00 €. */
export const shorterFinalGrant: GrantBreakdown = {
  totalCents: 310_900, currency: 'EUR', callYear: 2024, days: 140,
  lines: [
    { ruleId: 'HE-LT-IND-G1', item: 'individual support', amountCents: 280_000, basis: '600 €/month × 140 / 30' },
    { ruleId: 'TRAVEL-500-1999', item: 'travel', amountCents: 30_900, basis: '500–1,999 km, standard' },
  ],
};

/** Extended to 28 Feb 2026 = 180 days → 600 × 180 / 30 = 3,600 € + 309 € = 3,909.00 €. */
export const extendedGrant: GrantBreakdown = {
  totalCents: 390_900, currency: 'EUR', callYear: 2024, days: 180,
  lines: [
    { ruleId: 'HE-LT-IND-G1', item: 'individual support', amountCents: 360_000, basis: '600 €/month × 180 / 30' },
    { ruleId: 'TRAVEL-500-1999', item: 'travel', amountCents: 30_900, basis: '500–1,999 km, standard' },
  ],
};

type Fields<T extends CommandType> = Omit<CommandOf<T>, 'type' | 'mobilityId' | 'actor' | 'at'>;

/** Build a command with the fixture mobility and actor; `on` is the command date. */
export const cmd = <T extends CommandType>(type: T, on: string, fields: Fields<T>): CommandOf<T> =>
  ({ type, mobilityId: MOB, actor, at: at(on), ...fields }) as unknown as CommandOf<T>;

export const submit = (plan: Partial<CommandOf<'SubmitApplication'>['plan']> = {}, extra: Partial<Fields<'SubmitApplication'>> = {}) =>
  cmd('SubmitApplication', '2025-03-01', {
    projectId: '2024-1-FR01-KA131-HED-000123', institutionId: 'F-PARIS001', consortiumId: null, participantRef: 'P-7f3a9c21',
    activity: 'HE-SMS', funderLineId: 'EU-KA131-2024',
    plan: {
      startDate: '2025-09-01', endDate: '2026-01-31', receivingCountry: 'DE', sendingCountry: 'FR', hostOrgId: 'D-BERLIN01',
      distanceKm: 1050, greenTravel: false, fewerOpportunities: false, ...plan,
    },
    ...extra,
  });

/** The commands of the happy path up to each stage (cumulative). */
export const path = {
  applied: (): MobilityCommand[] => [submit()],
  selected: (): MobilityCommand[] => [...path.applied(), cmd('SelectParticipant', '2025-04-01', { estimatedGrant })],
  agreed: (): MobilityCommand[] => [...path.selected(), cmd('SignAgreement', '2025-06-10', { participantSignedOn: '2025-06-05', institutionSignedOn: '2025-06-08', prefinancingPercent: 70 })],
  departed: (): MobilityCommand[] => [...path.agreed(), cmd('ConfirmDeparture', '2025-09-02', { actualStartDate: '2025-09-01' })],
  attended: (finalGrant: GrantBreakdown = estimatedGrant): MobilityCommand[] => [
    ...path.departed(),
    cmd('RecordCertificateOfAttendance', '2026-02-05', { actualStartDate: '2025-09-01', actualEndDate: '2026-01-31', finalGrant }),
  ],
  invited: (): MobilityCommand[] => [...path.attended(), cmd('InviteParticipantReport', '2026-02-06', {})],
  reported: (): MobilityCommand[] => [...path.invited(), cmd('RecordParticipantReportSubmitted', '2026-02-20', { submittedOn: '2026-02-20' })],
};

/** Run commands through decide/evolve; a rejection fails the test set-up loudly. */
export const history = (commands: readonly MobilityCommand[], from: MobilityState = initialState): MobilityEvent[] => {
  const events: MobilityEvent[] = [];
  let state = from;
  for (const c of commands) {
    const r = decide(c, state);
    if (isRejection(r)) throw new Error(`set-up command ${c.type} rejected: ${r.reason}`);
    events.push(...r);
    state = r.reduce(evolve, state);
  }
  return events;
};
