import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/**
 * Search attributes set by the workflows (registered on the dev server at start, see
 * infra/stack/temporal.ts). Find a mobility in the Temporal UI or with
 *   temporal workflow list --query 'ProjectId="…" AND MobilityStage="agreed"'
 */
export const MobilityStageKey = defineSearchAttributeKey('MobilityStage', SearchAttributeType.KEYWORD);
export const ProjectIdKey = defineSearchAttributeKey('ProjectId', SearchAttributeType.KEYWORD);
export const InstitutionIdKey = defineSearchAttributeKey('InstitutionId', SearchAttributeType.KEYWORD);
export const ConsortiumIdKey = defineSearchAttributeKey('ConsortiumId', SearchAttributeType.KEYWORD);
export const NextDeadlineKey = defineSearchAttributeKey('NextDeadline', SearchAttributeType.DATETIME);
