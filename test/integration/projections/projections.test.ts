import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectGrant } from '../../../domain/project';
import { createPool } from '../../../infra/db/pool';
import { createPublisher, type Publisher } from '../../../infra/kafka/client';
import { DLQ_HEADERS, TOPICS } from '../../../infra/kafka/topics';
import { ALL_PROJECTIONS, startProjector } from '../../../workers/projector';
import type { RunningProjector } from '../../../workers/projections/runner';
import { eventually, testConfig, uniq } from '../../support/env';
import { caughtUp, findInDlq, publishStream } from './support';
import { asMessage, expectedLineTotals, generateStream, mobilityStory, rng, signed } from './stream';

const cfg = testConfig();
const pool = createPool(cfg);
const names = ALL_PROJECTIONS.map((p) => p.name);
let pub: Publisher;
let projector: RunningProjector;

beforeAll(async () => {
  pub = await createPublisher(cfg, 'projections-test');
  projector = await startProjector(cfg, pool, ALL_PROJECTIONS, { groupId: `projector-test-${uniq()}` });
});

afterAll(async () => {
  await projector?.stop();
  await pub?.close();
  await pool.end();
});

const lineTotals = async (projectId: string) =>
  (await pool.query('SELECT * FROM budget_line_totals WHERE project_id = $1 ORDER BY funder_line_id', [projectId])).rows;

describe('budget consumption and quality projections on Kafka and Postgres', () => {
  const tag = uniq();
  const stream = generateStream(7, tag, 40, 2);

  it('folds a consortium stream: each line total equals the independent truth and the sum of its mobilities\' grant lines, to the cent', async () => {
    await publishStream(pub, stream);
    await caughtUp(cfg, pool, names);
    const expected = expectedLineTotals(stream);
    for (const project of stream.projects) {
      const rows = await lineTotals(project.projectId);
      expect(rows.map((r) => r.funder_line_id)).toEqual(['EPLUS', 'REGION']);
      for (const row of rows) {
        const want = expected.get(`${project.projectId}|${row.funder_line_id}`)!;
        const line = project.lines.find((l) => l.lineId === row.funder_line_id)!;
        expect(row).toMatchObject({
          allocated_cents: line.allocatedCents,
          allocated_mobilities: line.allocatedMobilities,
          reserved_cents: want.reserved,
          contracted_cents: want.contracted,
          final_cents: want.final,
          committed_cents: want.committed,
          remaining_cents: line.allocatedCents - want.committed,
          prefinanced_cents: want.prefinanced,
          paid_cents: want.paid,
          recovered_cents: want.recovered,
          mobilities_used: want.used,
          mobilities_remaining: line.allocatedMobilities - want.used,
          zero_grant_mobilities: want.zero,
          inclusion_support_cents: want.inclusion,
        });
        // Drill-down: the committed figure is the sum of the current grant lines of its mobilities.
        const { rows: [drill] } = await pool.query(
          `SELECT coalesce(sum(amount_cents), 0)::bigint AS total, count(DISTINCT mobility_id)::bigint AS mobilities
             FROM budget_mobility_grant_lines WHERE project_id = $1 AND funder_line_id = $2`,
          [project.projectId, row.funder_line_id],
        );
        expect(drill.total).toBe(row.committed_cents);
        expect(drill.mobilities).toBe(row.mobilities_used);
      }
      // Per institution rows add up to the line totals; the line's remaining is repeated on each row.
      const byInstitution = (await pool.query('SELECT * FROM budget_consumption WHERE project_id = $1', [project.projectId])).rows;
      for (const row of rows) {
        const parts = byInstitution.filter((r) => r.funder_line_id === row.funder_line_id);
        expect(parts.reduce((s, r) => s + r.committed_cents, 0)).toBe(row.committed_cents);
        for (const p of parts) expect(p.line_remaining_cents).toBe(row.remaining_cents);
      }
    }
  });

  it('earns organisational support per certified participant under the tier of its rank (zero-grant ones count)', async () => {
    const project = stream.projects[0]!;
    const certified = stream.truths.filter((t) => t.projectId === project.projectId && t.status === 'final').length;
    const { rows: [os] } = await pool.query(
      `SELECT count(*)::bigint AS n, coalesce(sum(amount_cents), 0)::bigint AS cents, count(*) FILTER (WHERE rule_id = 'ORG-KA131')::bigint AS tier1
         FROM budget_org_support_lines WHERE project_id = $1`,
      [project.projectId],
    );
    expect(os).toEqual({ n: certified, cents: certified * 40000, tier1: certified });
    const { rows: [sum] } = await pool.query('SELECT sum(org_support_cents)::bigint AS cents FROM budget_line_totals WHERE project_id = $1', [project.projectId]);
    expect(sum.cents).toBe(certified * 40000);
  });

  it('shows, per project, the organisational support and inclusion support for organisations of the domain\'s projectGrant', async () => {
    for (const project of stream.projects) {
      const certified = stream.truths.filter((t) => t.projectId === project.projectId && t.status === 'final');
      const want = projectGrant({
        callYear: 2024, action: 'KA131', participants: certified.length,
        inclusionSupportParticipants: certified.filter((t) => t.fewerOpportunities && t.inclusionCents > 0).length,
      });
      const { rows: [got] } = await pool.query(
        'SELECT sum(org_support_cents)::bigint AS org, sum(org_inclusion_support_cents)::bigint AS inclusion FROM budget_line_totals WHERE project_id = $1',
        [project.projectId],
      );
      const line = (ruleId: string) => want.lines.find((l) => l.ruleId === ruleId)?.amountCents ?? 0;
      expect(got).toEqual({ org: line('ORG-KA131'), inclusion: line('ORG-INCLUSION') });
    }
  });

  it('counts quality facts per project, institution and consortium', async () => {
    const project = stream.projects[0]!;
    const truths = stream.truths.filter((t) => t.projectId === project.projectId);
    const { rows: [q] } = await pool.query('SELECT * FROM quality_by_project WHERE scope_id = $1', [project.projectId]);
    const events = stream.mobilityEvents.filter((e) => e.projectId === project.projectId);
    const count = (type: string) => events.filter((e) => e.type === type).length;
    const selected = truths.filter((t) => t.outcome !== 'rejected');
    expect(q).toMatchObject({
      mobilities: truths.length,
      participants: selected.length,
      certificates_received: count('AttendanceCertified'),
      reports_invited: count('ParticipantReportInvited'),
      reports_submitted: count('ParticipantReportSubmitted'),
      ols_assessments: count('OlsAssessmentRecorded'),
      recognitions: count('RecognitionRecorded'),
      interruptions: count('MobilityInterrupted'),
      force_majeure: new Set(events.filter((e) => e.type === 'ForceMajeureDeclared').map((e) => e.mobilityId)).size,
      fewer_opportunity_participants: selected.filter((t) => t.fewerOpportunities).length,
    });
    expect(Number(q.recognition_rate)).toBeCloseTo(count('RecognitionRecorded') / count('AttendanceCertified'), 4);
    const late = events.filter((e) => e.type === 'ParticipantReportSubmitted' && (e.payload as { daysLate: number }).daysLate > 0).length;
    expect(q.deadlines_missed).toBeGreaterThanOrEqual(late);
    // Institutions of a consortium add up to the consortium (both projects share it only if consortial).
    const inst = (await pool.query(`SELECT sum(mobilities)::bigint AS n FROM quality_by_institution WHERE scope_id LIKE $1`, [`%-${tag}`])).rows[0];
    expect(inst.n).toBe(stream.truths.length);
    const { rows: [cons] } = await pool.query('SELECT mobilities FROM quality_by_consortium WHERE scope_id = $1', [`CONS-${tag}`]);
    expect(cons.mobilities).toBe(stream.truths.filter((t) => t.consortiumId !== null).length);
    const stages = (await pool.query(`SELECT stage, mobilities FROM quality_stage_counts WHERE scope = 'project' AND scope_id = $1`, [project.projectId])).rows;
    expect(stages.reduce((s, r) => s + r.mobilities, 0)).toBe(truths.length);
    expect(stages.find((s) => s.stage === 'rejected')?.mobilities ?? 0).toBe(truths.filter((t) => t.outcome === 'rejected').length);
  });

  it('counts nothing twice when the whole stream is published again (duplicates at new offsets)', async () => {
    const before = await Promise.all(stream.projects.map((p) => lineTotals(p.projectId)));
    const qBefore = (await pool.query('SELECT * FROM quality_dashboard WHERE scope_id LIKE $1 ORDER BY scope, scope_id', [`%${tag}%`])).rows;
    await publishStream(pub, stream);
    await caughtUp(cfg, pool, names);
    expect(await Promise.all(stream.projects.map((p) => lineTotals(p.projectId)))).toEqual(before);
    expect((await pool.query('SELECT * FROM quality_dashboard WHERE scope_id LIKE $1 ORDER BY scope, scope_id', [`%${tag}%`])).rows).toEqual(qBefore);
  });
});

describe('dead letters, unknown versions and unknown types', () => {
  it('sends a poison message to the dead-letter topic with its reason and carries on with the next event', async () => {
    const tag = uniq();
    const { events } = mobilityStory(rng(3), { projectId: `2024-1-FR01-KA131-HED-${tag}`, institutionId: 'F-PARIS-001', consortiumId: null, n: 1, funderLineId: 'EPLUS' }, 'selected');
    const selected = events.find((e) => e.type === 'ParticipantSelected')!;
    const bad = { ...selected, payload: { ...selected.payload, estimatedGrant: { totalCents: 5, currency: 'EUR', callYear: 2024, days: 1, lines: [] } } };
    await pub.publish(TOPICS.mobilityEvents.name, [
      // Signed as the engine would (an insider's garbage): the signature holds, the JSON does not.
      signed(events[0]!.mobilityId, `{"not json ${tag}`, {}),
      asMessage(bad),
      asMessage(events[0]!),
    ]);
    const garbage = await findInDlq(cfg, (m) => m.value === `{"not json ${tag}`);
    expect(garbage.headers[DLQ_HEADERS.reason]).toBe('invalid-json');
    expect(garbage.headers[DLQ_HEADERS.sourceTopic]).toBe(TOPICS.mobilityEvents.name);
    const invalid = await findInDlq(cfg, (m) => m.headers['event-id'] === bad.eventId);
    expect(invalid.headers[DLQ_HEADERS.reason]).toBe('invalid-payload');
    expect(invalid.headers[DLQ_HEADERS.detail]).toMatch(/totalCents/);
    // The projector carried on: the valid event after the poison ones is folded.
    await eventually(async () => (await pool.query('SELECT 1 FROM mobility_applications WHERE mobility_id = $1', [events[0]!.mobilityId])).rowCount === 1, 30_000, 'the next event');
    const { rows } = await pool.query(`SELECT reason FROM projection_dead_letters WHERE raw LIKE $1 OR event_id = $2 ORDER BY reason`, [`%${tag}%`, bad.eventId]);
    expect(rows.map((r) => r.reason)).toEqual(['invalid-json', 'invalid-payload']);
  });

  it('parks an event of an unknown newer version, dead-letters it as unknown-version and counts it', async () => {
    const tag = uniq();
    const { events } = mobilityStory(rng(4), { projectId: `2024-1-FR01-KA131-HED-${tag}`, institutionId: 'F-PARIS-001', consortiumId: null, n: 1, funderLineId: 'EPLUS' }, 'selected');
    const selected = events.find((e) => e.type === 'ParticipantSelected')!;
    const v2 = { ...selected, version: 3, payload: { ...selected.payload, newField: 'x' } };
    const before = (await pool.query(`SELECT coalesce(sum(messages), 0)::bigint AS n FROM projection_health WHERE kind = 'parked' AND reason = 'unknown-version'`)).rows[0].n;
    // v2 comes first, ahead of its predecessors: it waits for them (stream integrity), then is parked as unknown-version.
    await pub.publish(TOPICS.mobilityEvents.name, [asMessage(v2), ...events.slice(0, selected.sequence).map(asMessage)]);
    const parked = await eventually(async () => (await pool.query('SELECT * FROM projection_parked_events WHERE event_id = $1', [v2.eventId])).rows[0], 30_000, 'parked event');
    expect(parked).toMatchObject({ reason: 'unknown-version', event_type: 'ParticipantSelected', event_version: 3, known_version: 2 });
    const dl = await findInDlq(cfg, (m) => m.headers['event-id'] === v2.eventId);
    expect(dl.headers[DLQ_HEADERS.reason]).toBe('unknown-version');
    const after = (await pool.query(`SELECT coalesce(sum(messages), 0)::bigint AS n FROM projection_health WHERE kind = 'parked' AND reason = 'unknown-version'`)).rows[0].n;
    expect(after).toBe(before + 1);
    // The mobility itself is projected (application), but no selection was counted from the parked event.
    const { rows: [m] } = await eventually(async () => {
      const r = await pool.query('SELECT selected FROM budget_mobilities WHERE mobility_id = $1', [events[0]!.mobilityId]);
      return r.rowCount === 1 ? r : undefined;
    }, 30_000, 'the application');
    expect(m.selected).toBe(false);
  });

  it('projects ApplicationSubmitted into mobility_applications; the retired MobilityApplied is parked as an unknown type', async () => {
    const tag = uniq();
    const projectId = `2024-1-FR01-KA131-HED-${tag}`;
    const retiredId = `${projectId}-MOB-00009`;
    const retired = {
      eventId: `${retiredId}:0`, type: 'MobilityApplied', version: 1, occurredAt: new Date().toISOString(), mobilityId: retiredId, projectId,
      institutionId: 'F-PARIS-001', consortiumId: null, sequence: 0, payload: { participantRef: 'P-7f3a9c21', activity: 'HE-SMS' },
    };
    const { events } = mobilityStory(rng(5), { projectId, institutionId: 'F-PARIS-001', consortiumId: null, n: 1, funderLineId: 'EPLUS' }, 'rejected');
    await pub.publish(TOPICS.mobilityEvents.name, [asMessage(retired), asMessage(events[0]!)]);
    const parked = await eventually(async () => (await pool.query('SELECT reason, event_type FROM projection_parked_events WHERE event_id = $1', [retired.eventId])).rows[0], 30_000, 'parked event');
    expect(parked).toEqual({ reason: 'unknown-type', event_type: 'MobilityApplied' });
    const rows = await eventually(async () => {
      const r = (await pool.query('SELECT mobility_id, activity FROM mobility_applications WHERE project_id = $1 ORDER BY mobility_id', [projectId])).rows;
      return r.length > 0 ? r : undefined;
    }, 30_000, 'the application');
    expect(rows).toEqual([{ mobility_id: events[0]!.mobilityId, activity: 'HE-SMS' }]);
  });
});
