import { defineQuery } from '@temporalio/workflow';
import { z } from 'zod';
import { ActivityCode } from '../domain/activity';
import { MobilityId, OrgId, ParticipantRef, ProjectId } from '../domain/ids';

/** Input that starts a mobility workflow (workflow id = mobility id). */
export const StartMobility = z.strictObject({
  mobilityId: MobilityId,
  projectId: ProjectId,
  institutionId: OrgId,
  consortiumId: OrgId.nullable().default(null),
  participantRef: ParticipantRef,
  activity: ActivityCode,
});
export type StartMobility = z.infer<typeof StartMobility>;

export interface MobilityView {
  mobilityId: string;
  stage: string;
  eventsPublished: number;
}

export const viewQuery = defineQuery<MobilityView>('view');
