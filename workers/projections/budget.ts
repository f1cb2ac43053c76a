import type pg from 'pg';
import { ENTERS } from '../../domain/mobility/lifecycle';
import type { GrantBreakdown } from '../../domain/grant/breakdown';
import type { FundingShare } from '../../domain/funding';
import { type CertifiedParticipant, participantSupportLines } from '../../domain/project';
import type { EventType, PayloadOf } from '../../domain/mobility/events';
import type { MobilityEvent, ProjectEventIn } from './decode';
import type { Projection } from './runner';
import { withTakeOverSteps } from './takeover';

/**
 * Budget consumption (migrations 201, 204, 440): per mobility, what it commits (estimate, contract, final
 * grant), what was pre-financed, paid and recovered, and its grant rule lines; per project funder
 * line, what was allocated (project-events); per certified participant, the project-level grant it
 * earns (organisational support, inclusion support for organisations), priced by the domain; per
 * co-funded mobility, the shares of each line (budget_funding_shares, summed per line by budget_line_shares),
 * while the Erasmus+ figures stay the Erasmus+ grant alone; per mobility and line, what the guard holds. The
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
/** A grant with the co-funded shares its event carried ([] when not co-funded: v1 events are upcast so). */
interface Grant { seq: number; eventId: string; g: GrantBreakdown; funding: readonly FundingShare[] }

/**
 * What one batch does to one mobility's budget row, folded in memory in the order the events were
 * admitted, then merged into the stored row by one statement (see applyBatch). Each field follows
 * the rule of the event-by-event fold: "latest by sequence" for facts and grants, "or" for flags,
 * sums for money, "earliest" for the certification time, "last applied" for the contract and the end.
 */
interface BudgetDelta {
  mobilityId: string;
  projectId: string;
  institutionId: string;
  consortiumId: string | null;
  facts: (Facts & { seq: number }) | null;
  accompanyingPerson: boolean;
  selected: boolean;
  estimated: Grant | null;
  agreed: boolean;
  contractCents: number | null;
  certified: boolean;
  certifiedAt: string | null;
  final: Grant | null;
  prefinancedCents: number;
  balancePaidCents: number;
  payments: number;
  recoveredCents: number;
  recoveries: number;
  ended: { stage: string; seq: number } | null;
}

/** Event types that create a mobility's budget row. */
const BUDGET_TYPES = new Set<string>([
  'ApplicationSubmitted', 'ParticipantSelected', 'GrantRecalculated', 'AgreementSigned', 'AttendanceCertified',
  'PaymentOrdered', 'RecoveryOrdered', 'ApplicationRejected', 'ApplicationWithdrawn', 'MobilityCancelled',
]);

/** Instants as Postgres orders them (to the microsecond), whatever their offset or number of decimals. */
export const instantKey = (iso: string): [number, string] => {
  const fraction = /\.(\d+)/.exec(iso)?.[1] ?? '';
  return [Date.parse(iso), fraction.slice(3, 6).padEnd(3, '0')];
};
export const earlier = (a: string, b: string): string => {
  const [x, y] = [instantKey(a), instantKey(b)];
  return x[0] < y[0] || (x[0] === y[0] && x[1] < y[1]) ? a : b;
};

function budgetDeltas(events: readonly MobilityEvent[]): BudgetDelta[] {
  const out = new Map<string, BudgetDelta>();
  for (const e of withTakeOverSteps(events)) {
    if (!BUDGET_TYPES.has(e.type)) continue;
    let d = out.get(e.mobilityId);
    if (!d) {
      d = {
        mobilityId: e.mobilityId, projectId: e.projectId, institutionId: e.institutionId, consortiumId: e.consortiumId,
        facts: null, accompanyingPerson: false, selected: false, estimated: null, agreed: false, contractCents: null, certified: false, certifiedAt: null, final: null,
        prefinancedCents: 0, balancePaidCents: 0, payments: 0, recoveredCents: 0, recoveries: 0, ended: null,
      };
      out.set(e.mobilityId, d);
    }
    const delta = d;
    const facts = (f: Facts) => {
      if (!delta.facts || delta.facts.seq < e.sequence) delta.facts = { funderLineId: f.funderLineId, activity: f.activity, fewerOpportunities: f.fewerOpportunities, seq: e.sequence };
    };
    const grant = (current: Grant | null, g: GrantBreakdown, funding: readonly FundingShare[]): Grant => (!current || current.seq < e.sequence ? { seq: e.sequence, eventId: e.eventId, g, funding } : current);
    switch (e.type) {
      case 'ApplicationSubmitted': {
        const p = payloadOf(e, 'ApplicationSubmitted');
        facts({ funderLineId: p.funderLineId, activity: p.activity, fewerOpportunities: p.plan.fewerOpportunities });
        // Set once, by the application (§1.8: not counted for organisational support); a flag that only turns on.
        if (p.plan.accompanyingPerson) delta.accompanyingPerson = true;
        break;
      }
      case 'ParticipantSelected': {
        const p = payloadOf(e, 'ParticipantSelected');
        facts(p.facts);
        d.selected = true;
        d.estimated = grant(d.estimated, p.estimatedGrant, p.funding);
        break;
      }
      case 'GrantRecalculated': {
        const p = payloadOf(e, 'GrantRecalculated');
        facts(p.facts);
        d.estimated = grant(d.estimated, p.estimatedGrant, p.funding);
        break;
      }
      case 'AgreementSigned':
        d.agreed = true;
        d.contractCents = payloadOf(e, 'AgreementSigned').grantTotalCents;
        break;
      case 'AttendanceCertified': {
        const p = payloadOf(e, 'AttendanceCertified');
        facts(p.facts);
        d.certified = true;
        d.certifiedAt = d.certifiedAt === null ? e.occurredAt : earlier(d.certifiedAt, e.occurredAt);
        d.final = grant(d.final, p.finalGrant, p.funding);
        break;
      }
      case 'PaymentOrdered': {
        const p = payloadOf(e, 'PaymentOrdered');
        facts(p.facts);
        if (p.kind === 'prefinancing') d.prefinancedCents += p.amountCents;
        else d.balancePaidCents += p.amountCents;
        d.payments++;
        break;
      }
      case 'RecoveryOrdered': {
        const p = payloadOf(e, 'RecoveryOrdered');
        facts(p.facts);
        d.recoveredCents += p.amountCents;
        d.recoveries++;
        break;
      }
      default: // ApplicationRejected, ApplicationWithdrawn, MobilityCancelled
        if (e.type === 'MobilityCancelled') facts(payloadOf(e, 'MobilityCancelled').facts);
        d.ended = { stage: ENTERS[e.type as 'ApplicationRejected' | 'ApplicationWithdrawn' | 'MobilityCancelled'], seq: e.sequence };
    }
  }
  return [...out.values()];
}

/**
 * One batch into budget_mobilities and budget_grant_lines: one upsert merges every mobility's delta
 * into its row (a new row starts from the column defaults), then the grant lines of the phases whose
 * grant this batch replaced are deleted and inserted again, one statement each.
 */
async function foldMobilities(tx: pg.PoolClient, events: readonly MobilityEvent[]): Promise<void> {
  const ds = budgetDeltas(events);
  if (ds.length === 0) return;
  const col = <T>(f: (d: BudgetDelta) => T) => ds.map(f);
  const won = (await tx.query<{ mobility_id: string; estimate_seq: number; final_seq: number }>(
    `INSERT INTO budget_mobilities AS m (mobility_id, project_id, institution_id, consortium_id, funder_line_id, activity, fewer_opportunities, facts_seq,
       selected, estimated_cents, estimate_seq, agreed, contract_cents, certified, certified_at, final_cents, final_seq, final_call_year,
       prefinanced_cents, balance_paid_cents, payments, recovered_cents, recoveries, ended, ended_seq, accompanying_person)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::boolean[], $8::int[],
       $9::boolean[], $10::bigint[], $11::int[], $12::boolean[], $13::bigint[], $14::boolean[], $15::timestamptz[], $16::bigint[], $17::int[], $18::int[],
       $19::bigint[], $20::bigint[], $21::int[], $22::bigint[], $23::int[], $24::text[], $25::int[], $26::boolean[])
     ON CONFLICT (mobility_id) DO UPDATE SET
       funder_line_id = CASE WHEN excluded.facts_seq > m.facts_seq THEN excluded.funder_line_id ELSE m.funder_line_id END,
       activity = CASE WHEN excluded.facts_seq > m.facts_seq THEN excluded.activity ELSE m.activity END,
       fewer_opportunities = CASE WHEN excluded.facts_seq > m.facts_seq THEN excluded.fewer_opportunities ELSE m.fewer_opportunities END,
       accompanying_person = m.accompanying_person OR excluded.accompanying_person,
       facts_seq = greatest(m.facts_seq, excluded.facts_seq),
       selected = m.selected OR excluded.selected,
       estimated_cents = CASE WHEN excluded.estimate_seq > m.estimate_seq THEN excluded.estimated_cents ELSE m.estimated_cents END,
       estimate_seq = greatest(m.estimate_seq, excluded.estimate_seq),
       agreed = m.agreed OR excluded.agreed,
       contract_cents = CASE WHEN excluded.agreed THEN excluded.contract_cents ELSE m.contract_cents END,
       certified = m.certified OR excluded.certified,
       certified_at = CASE WHEN excluded.certified_at IS NULL THEN m.certified_at ELSE least(coalesce(m.certified_at, excluded.certified_at), excluded.certified_at) END,
       final_cents = CASE WHEN excluded.final_seq > m.final_seq THEN excluded.final_cents ELSE m.final_cents END,
       final_call_year = CASE WHEN excluded.final_seq > m.final_seq THEN excluded.final_call_year ELSE m.final_call_year END,
       final_seq = greatest(m.final_seq, excluded.final_seq),
       prefinanced_cents = m.prefinanced_cents + excluded.prefinanced_cents,
       balance_paid_cents = m.balance_paid_cents + excluded.balance_paid_cents,
       payments = m.payments + excluded.payments,
       recovered_cents = m.recovered_cents + excluded.recovered_cents,
       recoveries = m.recoveries + excluded.recoveries,
       ended = CASE WHEN excluded.ended IS NULL THEN m.ended ELSE excluded.ended END,
       ended_seq = CASE WHEN excluded.ended IS NULL THEN m.ended_seq ELSE excluded.ended_seq END
     RETURNING m.mobility_id, m.estimate_seq, m.final_seq`,
    [
      col((d) => d.mobilityId), col((d) => d.projectId), col((d) => d.institutionId), col((d) => d.consortiumId),
      col((d) => d.facts?.funderLineId ?? null), col((d) => d.facts?.activity ?? null), col((d) => d.facts?.fewerOpportunities ?? false), col((d) => d.facts?.seq ?? -1),
      col((d) => d.selected), col((d) => d.estimated?.g.totalCents ?? 0), col((d) => d.estimated?.seq ?? -1), col((d) => d.agreed), col((d) => d.contractCents ?? 0),
      col((d) => d.certified), col((d) => d.certifiedAt), col((d) => d.final?.g.totalCents ?? 0), col((d) => d.final?.seq ?? -1), col((d) => d.final?.g.callYear ?? null),
      col((d) => d.prefinancedCents), col((d) => d.balancePaidCents), col((d) => d.payments), col((d) => d.recoveredCents), col((d) => d.recoveries),
      col((d) => d.ended?.stage ?? null), col((d) => d.ended?.seq ?? -1), col((d) => d.accompanyingPerson),
    ],
  )).rows;
  // A phase's lines are replaced when the row now holds this batch's grant (sequences are unique per stream).
  const byId = new Map(ds.map((d) => [d.mobilityId, d]));
  const replaced: { mobilityId: string; phase: 'estimated' | 'final'; grant: Grant }[] = [];
  for (const r of won) {
    const d = byId.get(r.mobility_id)!;
    if (d.estimated && r.estimate_seq === d.estimated.seq) replaced.push({ mobilityId: d.mobilityId, phase: 'estimated', grant: d.estimated });
    if (d.final && r.final_seq === d.final.seq) replaced.push({ mobilityId: d.mobilityId, phase: 'final', grant: d.final });
  }
  if (replaced.length === 0) return;
  await tx.query(
    `DELETE FROM budget_grant_lines l USING unnest($1::text[], $2::text[]) AS w(mobility_id, phase) WHERE l.mobility_id = w.mobility_id AND l.phase = w.phase`,
    [replaced.map((x) => x.mobilityId), replaced.map((x) => x.phase)],
  );
  // The co-funded shares of the same phase follow their grant (none for a mobility funded by Erasmus+ alone).
  await tx.query(
    `DELETE FROM budget_funding_shares f USING unnest($1::text[], $2::text[]) AS w(mobility_id, phase) WHERE f.mobility_id = w.mobility_id AND f.phase = w.phase`,
    [replaced.map((x) => x.mobilityId), replaced.map((x) => x.phase)],
  );
  const shares = replaced.flatMap((x) => x.grant.funding.map((f, i) => ({ ...x, f, n: i + 1 })));
  if (shares.length > 0) {
    await tx.query(
      `INSERT INTO budget_funding_shares (mobility_id, phase, share_no, line_id, funder, rule_id, amount_cents, basis, source_event_id)
       SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::text[], $6::text[], $7::bigint[], $8::text[], $9::text[])`,
      [shares.map((x) => x.mobilityId), shares.map((x) => x.phase), shares.map((x) => x.n), shares.map((x) => x.f.lineId), shares.map((x) => x.f.funder),
        shares.map((x) => x.f.ruleId), shares.map((x) => x.f.amountCents), shares.map((x) => x.f.basis), shares.map((x) => x.grant.eventId)],
    );
  }
  const lines = replaced.flatMap((x) => x.grant.g.lines.map((l, i) => ({ ...x, l, n: i + 1 })));
  if (lines.length === 0) return;
  await tx.query(
    `INSERT INTO budget_grant_lines (mobility_id, phase, line_no, rule_id, item, amount_cents, basis, call_year, source_event_id)
     SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::text[], $6::bigint[], $7::text[], $8::int[], $9::text[])`,
    [lines.map((x) => x.mobilityId), lines.map((x) => x.phase), lines.map((x) => x.n), lines.map((x) => x.l.ruleId), lines.map((x) => x.l.item),
      lines.map((x) => x.l.amountCents), lines.map((x) => x.l.basis), lines.map((x) => x.grant.g.callYear), lines.map((x) => x.grant.eventId)],
  );
}

type Reservation = { projectId: string; mobilityId: string; lineId: string; amountCents: number; released: boolean; seq: number };

/**
 * A batch of project events: funder lines as first registered (insert, never overwritten), and
 * each mobility's reservation as its latest event by sequence says.
 */
async function foldProjectEvents(tx: pg.PoolClient, events: readonly ProjectEventIn[]): Promise<void> {
  const lines = new Map<string, { projectId: string; institutionId: string; consortiumId: string | null; lineId: string; funder: string; allocatedCents: number; allocatedMobilities: number }>();
  const reservations = new Map<string, Reservation>();
  for (const e of events) {
    if (e.type === 'ProjectRegistered') {
      const p = e.payload as { institutionId: string; lines: { lineId: string; funder: string; allocatedCents: number; allocatedMobilities: number }[] };
      for (const l of p.lines) {
        const key = JSON.stringify([e.projectId, l.lineId]);
        if (!lines.has(key)) lines.set(key, { projectId: e.projectId, institutionId: p.institutionId, consortiumId: e.consortiumId, ...l });
      }
    } else if (e.type === 'BudgetReserved' || e.type === 'BudgetReservationAdjusted' || e.type === 'BudgetReleased') {
      const p = e.payload as { mobilityId: string; lineId: string; amountCents?: number; toCents?: number };
      const amountCents = e.type === 'BudgetReserved' ? p.amountCents! : e.type === 'BudgetReservationAdjusted' ? p.toCents! : 0;
      // One reservation per mobility and line: a co-funded mobility holds one on each of its lines.
      const key = JSON.stringify([e.projectId, p.mobilityId, p.lineId]);
      const held = reservations.get(key);
      if (!held || held.seq < e.sequence) reservations.set(key, { projectId: e.projectId, mobilityId: p.mobilityId, lineId: p.lineId, amountCents, released: e.type === 'BudgetReleased', seq: e.sequence });
    }
  }
  if (lines.size > 0) {
    const ls = [...lines.values()];
    await tx.query(
      `INSERT INTO budget_lines (project_id, line_id, funder, institution_id, consortium_id, allocated_cents, allocated_mobilities)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::int[]) ON CONFLICT DO NOTHING`,
      [ls.map((l) => l.projectId), ls.map((l) => l.lineId), ls.map((l) => l.funder), ls.map((l) => l.institutionId), ls.map((l) => l.consortiumId), ls.map((l) => l.allocatedCents), ls.map((l) => l.allocatedMobilities)],
    );
  }
  if (reservations.size > 0) {
    const rs = [...reservations.values()];
    await tx.query(
      `INSERT INTO budget_reservations (project_id, mobility_id, line_id, amount_cents, released, seq)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::boolean[], $6::int[])
       ON CONFLICT (project_id, mobility_id, line_id) DO UPDATE SET amount_cents = excluded.amount_cents, released = excluded.released, seq = excluded.seq
       WHERE budget_reservations.seq < excluded.seq`,
      [rs.map((r) => r.projectId), rs.map((r) => r.mobilityId), rs.map((r) => r.lineId), rs.map((r) => r.amountCents), rs.map((r) => r.released), rs.map((r) => r.seq)],
    );
  }
}

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
  const certified = (await tx.query<{ project_id: string; mobility_id: string; activity: string | null; certified_at: Date; fewer_opportunities: boolean; accompanying_person: boolean; final_call_year: number | null; lines: { ruleId: string; amountCents: number }[] }>(
    `SELECT m.project_id, m.mobility_id, m.activity, m.certified_at, m.fewer_opportunities, m.accompanying_person, m.final_call_year,
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
      mobilityId: r.mobility_id, activity: r.activity, certifiedAt: r.certified_at.toISOString(), fewerOpportunities: r.fewer_opportunities, accompanyingPerson: r.accompanying_person,
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
  tables: ['budget_grant_lines', 'budget_funding_shares', 'budget_mobilities', 'budget_reservations', 'budget_lines', 'budget_org_support'],
  apply: (tx, e) => foldMobilities(tx, [e]),
  applyBatch: foldMobilities,
  applyProject: (tx, e) => foldProjectEvents(tx, [e]),
  applyProjectBatch: foldProjectEvents,
  async afterBatch(tx, applied) {
    await recomputeOrgSupport(tx, [...new Set(applied.map((e) => e.mobilityId))]);
  },
};
