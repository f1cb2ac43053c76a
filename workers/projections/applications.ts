import { payloadOf } from './budget';
import type { Projection } from './runner';

/**
 * Applications received (table mobility_applications): one row per mobility, from ApplicationSubmitted.
 * The first application event of a mobility wins, whatever order duplicates arrive in.
 */
export const applicationsProjection: Projection = {
  name: 'applications',
  tables: ['mobility_applications'],
  async apply(tx, e) {
    if (e.type !== 'ApplicationSubmitted') return;
    const p = payloadOf(e, 'ApplicationSubmitted');
    await tx.query(
      `INSERT INTO mobility_applications (mobility_id, project_id, institution_id, participant_ref, activity, applied_at, event_id)
       VALUES ($1,$2,$3,$4,$5,$6,$7) ON CONFLICT (mobility_id) DO NOTHING`,
      [e.mobilityId, e.projectId, e.institutionId, p.participantRef, p.activity, e.occurredAt, e.eventId],
    );
  },
};
