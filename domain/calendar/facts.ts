import { z } from 'zod';
import { IsoDate } from '../ids';

/**
 * What is known about one mobility at a moment, as UTC calendar dates. Every fact is optional:
 * the calendar grows as facts arrive (a date-time from an event converts with utcDateOf).
 */
export const MobilityFacts = z
  .strictObject({
    agreementSignedByParticipant: IsoDate.optional(),
    agreementSignedByInstitution: IsoDate.optional(),
    startDate: IsoDate.optional(),
    endDate: IsoDate.optional(),
    /** First day of the host term, opening the learning-agreement change window. */
    termStartDate: IsoDate.optional(),
    laChangeRequestedAt: IsoDate.optional(),
    /** The change was approved or rejected by all parties. */
    laChangeDecidedAt: IsoDate.optional(),
    extensionRequestedAt: IsoDate.optional(),
    /** The EU Survey invitation actually sent (otherwise assumed at endDate + policy offset). */
    reportInvitedAt: IsoDate.optional(),
    reportSubmittedAt: IsoDate.optional(),
    /** The host published the results of the term (the ToR clock starts here when known). */
    resultsPublishedAt: IsoDate.optional(),
    transcriptReceivedAt: IsoDate.optional(),
    recognitionRecordedAt: IsoDate.optional(),
    prefinancingPaidAt: IsoDate.optional(),
    /** Balance paid, or recovery order issued, or nothing owed (§2 Balance payment). */
    balanceSettledAt: IsoDate.optional(),
    /** Both parties have signed the grant agreement (the later signature). */
    agreementSignedAt: IsoDate.optional(),
    /** The OLS language assessment before departure was taken. */
    olsBeforeAt: IsoDate.optional(),
    /** The participant's departure was confirmed (the actual start date). */
    departedOn: IsoDate.optional(),
    /** The host's certificate of attendance was received. */
    certificateReceivedAt: IsoDate.optional(),
    /** A static attribute: whether the participant is asked to take the OLS assessment before departure (learners). */
    expectsOls: z.boolean().default(false),
    /** A static attribute: the pre-financing rate of the signed agreement (70–100 %; the policy's default before signature). */
    prefinancingPercent: z.int().min(0).max(100).optional(),
    /**
     * A static attribute, not a timeline fact: whether the host issues a transcript of records to be
     * recognised (study mobilities). False for e.g. staff mobilities: no ToR or recognition deadline.
     */
    expectsTranscript: z.boolean().default(true),
  })
  .refine((f) => !f.startDate || !f.endDate || f.startDate <= f.endDate, { message: 'endDate must not precede startDate', path: ['endDate'] });
export type MobilityFacts = z.infer<typeof MobilityFacts>;
export type MobilityFactsInput = z.input<typeof MobilityFacts>;

/** The dated facts (every key except the static attributes). */
export type DatedFact = Exclude<keyof MobilityFacts, 'expectsTranscript' | 'expectsOls' | 'prefinancingPercent'>;
