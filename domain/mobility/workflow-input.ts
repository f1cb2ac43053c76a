import { z } from 'zod';
import { Policy } from '../calendar/policy';
import { MobilityCoFunding } from '../funding';
import { ACTION_INPUTS } from './actions';
import { SubmitApplication, TakeOverFacts } from './commands';
import { ProjectRates } from './grant';

/**
 * Input that starts a mobility workflow (workflow id = mobility id): the application itself
 * (the domain's SubmitApplication without type/at), the project's applicable rates and deadline
 * policy overrides. Personal data stays out: the participant is a pseudonymous ref.
 *
 * Built here, not in the workflow's modules: the worker evaluates the domain once per workflow sandbox
 * (workers/workflow-bundle.ts), so every mobility shares these schemas instead of building its own.
 */
export const StartMobility = SubmitApplication.omit({ type: true, at: true }).extend({
  consortiumId: SubmitApplication.shape.consortiumId.default(null),
  rates: ProjectRates,
  policy: z.record(z.string(), z.unknown()).default({}).refine((p) => Policy.safeParse(p).success, 'policy: invalid deadline policy overrides'),
  /** A mobility taken over under way (an import): its stage and known facts; the workflow computes every euro. Absent for a new application. */
  takeover: TakeOverFacts.optional(),
  /** A co-funded mobility: its own line's funder and each co-funding line with its rule, resolved by the server from the project's registration. Absent: Erasmus+ alone. */
  coFunding: MobilityCoFunding.optional(),
});
export type StartMobility = z.infer<typeof StartMobility>;
export type StartMobilityInput = z.input<typeof StartMobility>;

/**
 * External facts (host, EU Survey, receiving institution), taken by the workflow as Signals: each is a
 * staff action's input without the actor (who the fact comes from is fixed).
 */
export const ExternalFacts = {
  hostCertificateOfAttendance: ACTION_INPUTS.recordCertificateOfAttendance.omit({ actor: true }),
  surveySubmitted: ACTION_INPUTS.recordReportSubmitted.omit({ actor: true }),
  transcriptReceived: ACTION_INPUTS.recordTranscriptOfRecords.omit({ actor: true }),
} as const;
