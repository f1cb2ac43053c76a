/** Projects: the grant agreement with the NA, and the project-level (organisational) grant. */
export { ApplicableRate, applicableRatesFor, FunderLine, GrantAgreement, NaRules, prefinancingCents, ProjectAction, RateGroupKey } from './agreement';
export {
  type CertifiedParticipant, groupOrganisationalSupport, type GroupSupportMember, type OrganisationalCount, organisationalCountOf, OrganisationalScheme, organisationalSchemeOf, participantSupportLines, type ParticipantSupportLine, projectGrant, ProjectGrantInput,
  receivesRealCostInclusionSupport,
} from './organisational';
