/** Projects: the grant agreement with the NA, and the project-level (organisational) grant. */
export { ApplicableRate, applicableRatesFor, FunderLine, GrantAgreement, prefinancingCents, ProjectAction, RateGroupKey } from './agreement';
export {
  type CertifiedParticipant, OrganisationalScheme, organisationalSchemeOf, participantSupportLines, type ParticipantSupportLine, projectGrant, ProjectGrantInput,
  receivesRealCostInclusionSupport,
} from './organisational';
