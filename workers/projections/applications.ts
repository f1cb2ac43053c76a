import type pg from 'pg';
import { payloadOf } from './budget';
import type { MobilityEvent } from './decode';
import type { Projection } from './runner';

/**
 * Applications received (table mobility_applications): one row per mobility, from ApplicationSubmitted.
 * The first application event of a mobility wins, whatever order duplicates arrive in; a batch's
 * applications go in with one statement.
 */
async function fold(tx: pg.PoolClient, events: readonly MobilityEvent[]): Promise<void> {
  const first = new Map<string, MobilityEvent>();
  for (const e of events) if (e.type === 'ApplicationSubmitted' && !first.has(e.mobilityId)) first.set(e.mobilityId, e);
  if (first.size === 0) return;
  const es = [...first.values()];
  const p = es.map((e) => payloadOf(e, 'ApplicationSubmitted'));
  await tx.query(
    `INSERT INTO mobility_applications (mobility_id, project_id, institution_id, participant_ref, activity, applied_at, event_id)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::text[]) ON CONFLICT (mobility_id) DO NOTHING`,
    [es.map((e) => e.mobilityId), es.map((e) => e.projectId), es.map((e) => e.institutionId), p.map((x) => x.participantRef), p.map((x) => x.activity), es.map((e) => e.occurredAt), es.map((e) => e.eventId)],
  );
}

export const applicationsProjection: Projection = {
  name: 'applications',
  tables: ['mobility_applications'],
  apply: (tx, e) => fold(tx, [e]),
  applyBatch: fold,
};
