import type pg from 'pg';
import type { GrantBreakdown } from '../../domain/grant/breakdown';
import type { EventType, PayloadOf } from '../../domain/mobility/events';
import type { MobilityEvent } from './decode';
import type { Projection } from './runner';

/**
 * Budget consumption (migration 201): per mobility, what it commits (estimate, contract, final
 * grant), what was pre-financed, paid and recovered, and its grant rule lines; per project funder
 * line, what was allocated (project-events). The views budget_consumption and budget_line_totals
 * sum these rows, so every figure drills down to mobilities and rule lines.
 *
 * Folds are order-independent: sums add, flags only turn on, and "latest" values (facts, the
 * estimate, the final grant, the guard's totals) are guarded by the stream sequence.
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
  const col = phase === 'estimated' ? { cents: 'estimated_cents', seq: 'estimate_seq' } : { cents: 'final_cents', seq: 'final_seq' };
  const won = await tx.query(`UPDATE budget_mobilities SET ${col.cents} = $2, ${col.seq} = $3 WHERE mobility_id = $1 AND ${col.seq} < $3`, [e.mobilityId, g.totalCents, e.sequence]);
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

export const budgetProjection: Projection = {
  name: 'budget',
  tables: ['budget_grant_lines', 'budget_mobilities', 'budget_reservations', 'budget_lines'],
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
        const ended = e.type === 'ApplicationRejected' ? 'rejected' : e.type === 'ApplicationWithdrawn' ? 'withdrawn' : 'cancelled';
        await set(tx, e, 'ended = $2, ended_seq = $3', [ended, e.sequence]);
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
};
