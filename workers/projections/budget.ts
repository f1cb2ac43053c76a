import type pg from 'pg';
import { ENTERS } from '../../domain/mobility/lifecycle';
import type { GrantBreakdown } from '../../domain/grant/breakdown';
import { type CertifiedParticipant, participantSupportLines } from '../../domain/project';
import type { EventType, PayloadOf } from '../../domain/mobility/events';
import type { MobilityEvent } from './decode';
import type { Projection } from './runner';

/**
 * Budget consumption (migrations 201, 204): per mobility, what it commits (estimate, contract, final
 * grant), what was pre-financed, paid and recovered, and its grant rule lines; per project funder
 * line, what was allocated (project-events); per certified participant, the project-level grant it
 * earns (organisational support, inclusion support for organisations), priced by the domain. The
 * views budget_consumption and budget_line_totals sum these rows, so every figure drills down to
 * mobilities and rule lines.
 *
 * Folds are order-independent: sums add, flags only turn on, and "latest" values (facts, the
 * estimate, the final grant, the guard's totals) are guarded by the stream sequence. The project-level
 * lines depend on a participant's rank among the project's certified ones, so they are recomputed
 * from the stored rows after each batch (afterBatch), never folded event by event.
 */
export const payloadOf = <T extends EventType>(e: MobilityEvent, _type: T): PayloadOf<T> => e.payload as unknown as PayloadOf<T>;

interface Facts { funderLineId: string; activity: string; fewerOpportunities: boolean }

async function ensureRow(tx: pg.PoolClient, e: MobilityEvent): Promise<void> {
  await tx.query(
    `INSERT INTO budget_mobilities (mobility_id, project_id, institution_id, consortium_id) VALUES ($1,$2,$3,$4) ON CONFLICT DO NOTHING`,
    [e.mobilityId, e.projectId, e.institutionId, e.consortiumId],
  );
}

async function facts(tx: pg.PoolClient, e: MobilityEvent, f: Facts): Promise<void> {
  await tx.query(
    `UPDATE budget_mobilities SET funder_line_id = $2, activity = $3, fewer_opportunities = $4, facts_seq = $5
      WHERE mobility_id = $1 AND facts_seq < $5`,
    [e.mobilityId, f.funderLineId, f.activity, f.fewerOpportunities, e.sequence],
  );
}

async function grant(tx: pg.PoolClient, e: MobilityEvent, phase: 'estimated' | 'final', g: GrantBreakdown): Promise<void> {
  const col = phase === 'estimated' ? { cents: 'estimated_cents', seq: 'estimate_seq', year: '' } : { cents: 'final_cents', seq: 'final_seq', year: ', final_call_year = $4' };
  const won = await tx.query(
    `UPDATE budget_mobilities SET ${col.cents} = $2, ${col.seq} = $3${col.year} WHERE mobility_id = $1 AND ${col.seq} < $3`,
    phase === 'estimated' ? [e.mobilityId, g.totalCents, e.sequence] : [e.mobilityId, g.totalCents, e.sequence, g.callYear],
  );
  if (won.rowCount !== 1) return;
  await tx.query(`DELETE FROM budget_grant_lines WHERE mobility_id = $1 AND phase = $2`, [e.mobilityId, phase]);
  if (g.lines.length === 0) return;
  await tx.query(
    `INSERT INTO budget_grant_lines (mobility_id, phase, line_no, rule_id, item, amount_cents, basis, call_year, source_event_id)
     SELECT $1, $2, n, r, i, a, b, $8, $9 FROM unnest($3::int[], $4::text[], $5::text[], $6::bigint[], $7::text[]) AS t(n, r, i, a, b)`,
    [e.mobilityId, phase, g.lines.map((_, i) => i + 1), g.lines.map((l) => l.ruleId), g.lines.map((l) => l.item), g.lines.map((l) => l.amountCents), g.lines.map((l) => l.basis), g.callYear, e.eventId],
  );
}

const set = (tx: pg.PoolClient, e: MobilityEvent, assignments: string, params: unknown[] = []) =>
  tx.query(`UPDATE budget_mobilities SET ${assignments} WHERE mobility_id = $1`, [e.mobilityId, ...params]);

/** Serialises the recomputation of project-level lines between concurrent batch transactions. */
const ORG_SUPPORT_LOCK = 724_962;

/**
 * Recomputes the organisational support and inclusion support for organisations of every project
 * with a certified mobility among `mobilityIds`, from the stored rows, with the domain's
 * participantSupportLines, and stores the lines that changed.
 *
 * Two batches of different partitions may hold mobilities of the same project: each takes the lock
 * first, and under READ COMMITTED its reads then see what the other committed, so the last one to
 * commit computes from every mobility.
 */
async function recomputeOrgSupport(tx: pg.PoolClient, mobilityIds: readonly string[]): Promise<void> {
  const projects = (await tx.query<{ project_id: string }>(
    'SELECT DISTINCT project_id FROM budget_mobilities WHERE mobility_id = ANY($1) AND certified ORDER BY project_id', [mobilityIds],
  )).rows.map((r) => r.project_id);
  if (projects.length === 0) return;
  await tx.query('SELECT pg_advisory_xact_lock($1)', [ORG_SUPPORT_LOCK]);
  const certified = (await tx.query<{ project_id: string; mobility_id: string; activity: string | null; certified_at: Date; fewer_opportunities: boolean; final_call_year: number | null; lines: { ruleId: string; amountCents: number }[] }>(
    `SELECT m.project_id, m.mobility_id, m.activity, m.certified_at, m.fewer_opportunities, m.final_call_year,
            coalesce(json_agg(json_build_object('ruleId', l.rule_id, 'amountCents', l.amount_cents)) FILTER (WHERE l.mobility_id IS NOT NULL), '[]') AS lines
       FROM budget_mobilities m LEFT JOIN budget_grant_lines l ON l.mobility_id = m.mobility_id AND l.phase = 'final'
      WHERE m.project_id = ANY($1) AND m.certified
      GROUP BY m.mobility_id`,
    [projects],
  )).rows;
  const byProject = new Map<string, CertifiedParticipant[]>(projects.map((p) => [p, []]));
  for (const r of certified) {
    // AttendanceCertified sets the activity (its facts), the certification time and the final grant together.
    if (r.activity === null || r.final_call_year === null) throw new Error(`certified mobility ${r.mobility_id} has no activity or final grant`);
    byProject.get(r.project_id)!.push({
      mobilityId: r.mobility_id, activity: r.activity, certifiedAt: r.certified_at.toISOString(), fewerOpportunities: r.fewer_opportunities,
      finalGrant: { callYear: r.final_call_year, lines: r.lines.map((l) => ({ ruleId: l.ruleId, amountCents: Number(l.amountCents) })) },
    });
  }
  const rows = [...byProject].flatMap(([projectId, ps]) => participantSupportLines(ps).map((l) => ({ projectId, ...l })));
  await tx.query(
    `DELETE FROM budget_org_support o WHERE o.project_id = ANY($1)
        AND (o.mobility_id, o.kind) NOT IN (SELECT * FROM unnest($2::text[], $3::text[]))`,
    [projects, rows.map((r) => r.mobilityId), rows.map((r) => r.kind)],
  );
  if (rows.length === 0) return;
  await tx.query(
    `INSERT INTO budget_org_support (mobility_id, kind, project_id, scheme, participant_rank, call_year, rule_id, item, amount_cents, basis)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[], $6::int[], $7::text[], $8::text[], $9::bigint[], $10::text[])
     ON CONFLICT (mobility_id, kind) DO UPDATE SET
       project_id = excluded.project_id, scheme = excluded.scheme, participant_rank = excluded.participant_rank, call_year = excluded.call_year,
       rule_id = excluded.rule_id, item = excluded.item, amount_cents = excluded.amount_cents, basis = excluded.basis
     WHERE (budget_org_support.scheme, budget_org_support.participant_rank, budget_org_support.call_year, budget_org_support.rule_id,
            budget_org_support.item, budget_org_support.amount_cents, budget_org_support.basis)
           IS DISTINCT FROM (excluded.scheme, excluded.participant_rank, excluded.call_year, excluded.rule_id, excluded.item, excluded.amount_cents, excluded.basis)`,
    [rows.map((r) => r.mobilityId), rows.map((r) => r.kind), rows.map((r) => r.projectId), rows.map((r) => r.scheme), rows.map((r) => r.participantRank),
      rows.map((r) => r.callYear), rows.map((r) => r.ruleId), rows.map((r) => r.item), rows.map((r) => r.amountCents), rows.map((r) => r.basis)],
  );
}

export const budgetProjection: Projection = {
  name: 'budget',
  tables: ['budget_grant_lines', 'budget_mobilities', 'budget_reservations', 'budget_lines', 'budget_org_support'],
  async apply(tx, e) {
    switch (e.type) {
      case 'ApplicationSubmitted': {
        const p = payloadOf(e, 'ApplicationSubmitted');
        await ensureRow(tx, e);
        await facts(tx, e, { funderLineId: p.funderLineId, activity: p.activity, fewerOpportunities: p.plan.fewerOpportunities });
        return;
      }
      case 'ParticipantSelected': {
        const p = payloadOf(e, 'ParticipantSelected');
        await ensureRow(tx, e);
        await facts(tx, e, p.facts);
        await set(tx, e, 'selected = true');
        await grant(tx, e, 'estimated', p.estimatedGrant);
        return;
      }
      case 'GrantRecalculated': {
        const p = payloadOf(e, 'GrantRecalculated');
        await ensureRow(tx, e);
        await facts(tx, e, p.facts);
        await grant(tx, e, 'estimated', p.estimatedGrant);
        return;
      }
      case 'AgreementSigned': {
        const p = payloadOf(e, 'AgreementSigned');
        await ensureRow(tx, e);
        await set(tx, e, 'agreed = true, contract_cents = $2', [p.grantTotalCents]);
        return;
      }
      case 'AttendanceCertified': {
        const p = payloadOf(e, 'AttendanceCertified');
        await ensureRow(tx, e);
        await facts(tx, e, p.facts);
        await set(tx, e, 'certified = true, certified_at = least(coalesce(certified_at, $2::timestamptz), $2::timestamptz)', [e.occurredAt]);
        await grant(tx, e, 'final', p.finalGrant);
        return;
      }
      case 'PaymentOrdered': {
        const p = payloadOf(e, 'PaymentOrdered');
        await ensureRow(tx, e);
        await facts(tx, e, p.facts);
        const col = p.kind === 'prefinancing' ? 'prefinanced_cents' : 'balance_paid_cents';
        await set(tx, e, `${col} = ${col} + $2, payments = payments + 1`, [p.amountCents]);
        return;
      }
      case 'RecoveryOrdered': {
        const p = payloadOf(e, 'RecoveryOrdered');
        await ensureRow(tx, e);
        await facts(tx, e, p.facts);
        await set(tx, e, 'recovered_cents = recovered_cents + $2, recoveries = recoveries + 1', [p.amountCents]);
        return;
      }
      case 'ApplicationRejected':
      case 'ApplicationWithdrawn':
      case 'MobilityCancelled': {
        await ensureRow(tx, e);
        if (e.type === 'MobilityCancelled') await facts(tx, e, payloadOf(e, 'MobilityCancelled').facts);
        await set(tx, e, 'ended = $2, ended_seq = $3', [ENTERS[e.type], e.sequence]);
        return;
      }
      default:
        return;
    }
  },
  async applyProject(tx, e) {
    switch (e.type) {
      case 'ProjectRegistered': {
        const p = e.payload as { institutionId: string; lines: { lineId: string; funder: string; allocatedCents: number; allocatedMobilities: number }[] };
        await tx.query(
          `INSERT INTO budget_lines (project_id, line_id, funder, institution_id, consortium_id, allocated_cents, allocated_mobilities)
           SELECT $1, l, f, $2, $3, a, m FROM unnest($4::text[], $5::text[], $6::bigint[], $7::int[]) AS t(l, f, a, m)
           ON CONFLICT DO NOTHING`,
          [e.projectId, p.institutionId, e.consortiumId, p.lines.map((l) => l.lineId), p.lines.map((l) => l.funder), p.lines.map((l) => l.allocatedCents), p.lines.map((l) => l.allocatedMobilities)],
        );
        return;
      }
      case 'BudgetReserved':
      case 'BudgetReservationAdjusted':
      case 'BudgetReleased': {
        const p = e.payload as { mobilityId: string; lineId: string; amountCents?: number; toCents?: number };
        const amount = e.type === 'BudgetReserved' ? p.amountCents! : e.type === 'BudgetReservationAdjusted' ? p.toCents! : 0;
        await tx.query(
          `INSERT INTO budget_reservations (project_id, mobility_id, line_id, amount_cents, released, seq) VALUES ($1,$2,$3,$4,$5,$6)
           ON CONFLICT (project_id, mobility_id) DO UPDATE SET line_id = excluded.line_id, amount_cents = excluded.amount_cents, released = excluded.released, seq = excluded.seq
           WHERE budget_reservations.seq < excluded.seq`,
          [e.projectId, p.mobilityId, p.lineId, amount, e.type === 'BudgetReleased', e.sequence],
        );
        return;
      }
      default:
        return;
    }
  },
  async afterBatch(tx, applied) {
    await recomputeOrgSupport(tx, [...new Set(applied.map((e) => e.mobilityId))]);
  },
};
