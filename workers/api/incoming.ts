import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import { CountryCode, HostOrgId, IsoDate, OrgId } from '../../domain/ids';
import {
  decideIncoming, INCOMING_ACTION_NAMES, INCOMING_ACTIONS, type IncomingActionName, IncomingId, IncomingKind, IncomingStageName, incomingActionsIn, incomingIdFor,
  isIncomingRejection, NOMINATE_PERMISSION, type OpenIncoming,
} from '../../domain/incoming';
import { SiteId } from '../../domain/mobility/codes';
import type { Principal, TenantDirectory } from '../../domain/tenancy';
import { incoming, startIncoming } from '../../workflows/incoming.client';
import { participantBelongsTo, RegistryRef } from './participants';
import { HttpError, ok, route, type RouteSpec } from './route';
import type { ApiDeps } from './routes';

/**
 * Incoming mobilities (domain/incoming): the receiving institution's staff record a partner's
 * nomination and follow the stay to its certificate of attendance and transcript. Scope: the
 * receiving institution (and site); an incoming stay belongs to no consortium project and never
 * touches a budget. Outside the caller's scope an id answers 404; a role that may read but not act
 * gets 403. The participant is a ref of the protected registry, of the receiving institution.
 *
 * - POST /api/incoming                           record a nomination → 201 { incomingId, stage }
 * - GET  /api/incoming                           the list in your scope (incoming projection)
 * - GET  /api/incoming/:id                       one stay: state, due dates, audit, the actions offered
 * - POST /api/incoming/:id/actions/<action>      signAgreement, confirmArrival, issueCertificate, issueTranscript, cancel, recordNoShow
 */
export const IncomingBody = z.strictObject({
  receivingInstitutionId: OrgId.describe('the receiving institution (yours)'),
  siteId: SiteId.optional().describe('the site that hosts the participant, if any'),
  participantRef: RegistryRef.describe('the ref the participant registry gave (POST /api/participants); personal data stays there'),
  kind: IncomingKind.describe('who is hosted: student, trainee, staff, invited expert, teacher in training, preparatory visit'),
  sendingOrgId: HostOrgId.describe('the sending organisation: Erasmus code, OID or PIC'),
  sendingCountry: CountryCode,
  startDate: IsoDate,
  endDate: IsoDate,
});
const ListQuery = z.strictObject({
  stage: IncomingStageName.optional(),
  kind: IncomingKind.optional(),
  institutionId: OrgId.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  offset: z.coerce.number().int().min(0).default(0),
});
const IdParams = z.strictObject({ id: IncomingId });
const IncomingRow = z.object({
  incomingId: z.string(), institutionId: z.string(), siteId: z.string().nullable(), participantRef: z.string().nullable(), kind: z.string(),
  sendingOrgId: z.string().nullable(), sendingCountry: z.string().nullable(), startDate: z.string().nullable(), endDate: z.string().nullable(), stage: z.string(),
  nextDue: z.string().nullable(), nextDueOn: z.string().nullable(), missed: z.array(z.string()),
});
const ActionReply = z.object({ incomingId: z.string(), action: z.string(), stage: z.string(), events: z.array(z.string()) });
const E = (description: string) => ({ description });
const STD = { 400: E('invalid input: names each field'), 401: E('no live session') };

/** The body of each action: the domain's action input without `actor` (the signed-in staff member is the actor). */
export const INCOMING_ACTION_BODIES = Object.fromEntries(INCOMING_ACTION_NAMES.map((n) => [n, INCOMING_ACTIONS[n].input.omit({ actor: true })])) as Record<IncomingActionName, z.ZodObject>;

const ownership = (i: { institutionId: string; siteId: string | null }) => ({ institutionId: i.institutionId, consortiumId: null, siteId: i.siteId });
/** Which input field a refusal of the nomination concerns (shown next to it). */
const NOMINATION_FIELD: Record<string, string> = { 'invalid-dates': 'endDate', 'duration-out-of-range': 'endDate' };
const ACTION_FIELD: Record<string, string> = { 'ects-required': 'ectsPlanned', 'ects-not-applicable': 'ectsPlanned' };

async function readable(deps: ApiDeps, dir: TenantDirectory, p: Principal, id: string) {
  const h = incoming(deps.temporal, id);
  const notFound = new HttpError(404, 'not-found', `no incoming mobility ${id} in your scope`);
  let snapshot;
  try {
    snapshot = await h.snapshot();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw notFound;
    throw err;
  }
  if (snapshot.state.stage === 'none') throw notFound;
  const s = snapshot.state as OpenIncoming;
  const own = ownership(s.identity);
  if (!dir.canRead(p, own).allowed) throw notFound;
  return { h, state: s, snapshot, own };
}

export function incomingRoutes(deps: ApiDeps): RouteSpec[] {
  const { pool } = deps;
  return [
    route({
      method: 'POST', path: '/api/incoming', operationId: 'nominateIncoming', summary: 'Record a partner\'s nomination: starts the incoming mobility\'s workflow (the server numbers it)', tag: 'incoming',
      body: IncomingBody,
      responses: {
        201: { description: 'nomination recorded', schema: z.object({ incomingId: z.string(), stage: z.string() }) }, ...STD,
        403: E('your roles may not record a nomination for this institution (reason given)'), 404: E('no such institution or site in your scope'),
      },
      handler: async ({ body, session }) => {
        const { receivingInstitutionId: institutionId, ...rest } = body;
        const own = ownership({ institutionId, siteId: body.siteId ?? null });
        const dir = session.directory;
        if (!dir.scopeOf(own).ok || !dir.canRead(session.principal, own).allowed) throw new HttpError(404, 'not-found', `no institution ${institutionId}${body.siteId ? ` / site ${body.siteId}` : ''} in your scope`);
        const may = dir.canAct(session.principal, NOMINATE_PERMISSION, own);
        if (!may.allowed) throw new HttpError(403, 'forbidden', may.reason, { reason: may.reason });
        if (!(await participantBelongsTo(pool, body.participantRef, institutionId))) {
          throw new HttpError(400, 'bad-request', `participantRef: no participant of institution ${institutionId} has this ref: register the participant first (POST /api/participants)`,
            { issues: [{ field: 'participantRef', message: 'not in the participant registry of this institution' }] });
        }
        const start = { ...rest, institutionId, siteId: body.siteId ?? null, actor: session.username };
        // The domain's rules first (dates, duration of the kind): a refusal names the field and starts nothing.
        const check = decideIncoming({ type: 'RecordNomination', incomingId: incomingIdFor(institutionId, 1), at: new Date().toISOString(), ...start }, { stage: 'none' });
        if (isIncomingRejection(check)) {
          const field = NOMINATION_FIELD[check.code] ?? 'body';
          throw new HttpError(400, 'bad-request', `${field}: ${check.reason}`, { issues: [{ field, message: check.reason }], reason: check.reason, code: check.code, ruleId: check.ruleId });
        }
        const tx = await pool.connect();
        try {
          await tx.query('BEGIN');
          const n = (await tx.query<{ last_number: number }>(
            `INSERT INTO incoming_sequences (institution_id, last_number) VALUES ($1, 1)
             ON CONFLICT (institution_id) DO UPDATE SET last_number = incoming_sequences.last_number + 1 RETURNING last_number`, [institutionId])).rows[0]!.last_number;
          const incomingId = incomingIdFor(institutionId, n);
          await tx.query('INSERT INTO console_incoming (incoming_id, institution_id, site_id, kind, submitted_by) VALUES ($1,$2,$3,$4,$5)',
            [incomingId, institutionId, body.siteId ?? null, body.kind, session.username]);
          try {
            await startIncoming(deps.temporal, deps.taskQueue, { incomingId, ...start });
          } catch (err) {
            if (err instanceof WorkflowExecutionAlreadyStartedError) throw new HttpError(409, 'conflict', `incoming mobility ${incomingId} already exists`);
            throw err;
          }
          await tx.query('COMMIT');
          return ok({ incomingId, stage: 'nominated' }, 201);
        } catch (err) {
          await tx.query('ROLLBACK').catch(() => undefined);
          throw err;
        } finally {
          tx.release();
        }
      },
    }),
    route({
      method: 'GET', path: '/api/incoming', operationId: 'listIncoming', summary: 'Incoming mobilities in your scope, with stage and the next document due', tag: 'incoming',
      query: ListQuery,
      responses: { 200: { description: 'the page', schema: z.object({ incoming: z.array(IncomingRow), total: z.number(), limit: z.number(), offset: z.number() }) }, ...STD },
      handler: async ({ query, session }) => {
        const f = session.directory.readFilter(session.principal);
        const args: unknown[] = [f.institutionIds, f.siteIds];
        let where = '(v.institution_id = ANY($1) OR v.site_id = ANY($2))';
        if (query.stage) where += ` AND v.stage = $${args.push(query.stage)}`;
        if (query.kind) where += ` AND v.kind = $${args.push(query.kind)}`;
        if (query.institutionId) where += ` AND v.institution_id = $${args.push(query.institutionId)}`;
        const base = `SELECT c.incoming_id, coalesce(i.institution_id, c.institution_id) AS institution_id, coalesce(i.site_id, c.site_id) AS site_id, i.participant_ref,
                             coalesce(i.kind, c.kind) AS kind, i.sending_org_id, i.sending_country, to_char(i.start_date, 'YYYY-MM-DD') AS start_date,
                             to_char(i.end_date, 'YYYY-MM-DD') AS end_date, coalesce(i.stage, 'nominated') AS stage, coalesce(i.missed, '{}') AS missed,
                             CASE WHEN i.stage = 'arrived' THEN 'certificate-of-attendance' WHEN i.stage = 'certified' AND i.transcript_owed THEN 'transcript-of-records' END AS next_due,
                             to_char(CASE WHEN i.stage = 'arrived' THEN i.end_date WHEN i.stage = 'certified' AND i.transcript_owed THEN i.transcript_due_on END, 'YYYY-MM-DD') AS next_due_on,
                             c.submitted_at
                        FROM console_incoming c LEFT JOIN incoming_mobilities i USING (incoming_id)
                      UNION ALL
                      SELECT i.incoming_id, i.institution_id, i.site_id, i.participant_ref, i.kind, i.sending_org_id, i.sending_country, to_char(i.start_date, 'YYYY-MM-DD'),
                             to_char(i.end_date, 'YYYY-MM-DD'), i.stage, i.missed,
                             CASE WHEN i.stage = 'arrived' THEN 'certificate-of-attendance' WHEN i.stage = 'certified' AND i.transcript_owed THEN 'transcript-of-records' END,
                             to_char(CASE WHEN i.stage = 'arrived' THEN i.end_date WHEN i.stage = 'certified' AND i.transcript_owed THEN i.transcript_due_on END, 'YYYY-MM-DD'),
                             i.nominated_at
                        FROM incoming_mobilities i WHERE NOT EXISTS (SELECT 1 FROM console_incoming c WHERE c.incoming_id = i.incoming_id)`;
        const total = Number((await pool.query(`SELECT count(*) AS n FROM (${base}) v WHERE ${where}`, args)).rows[0].n);
        const { rows } = await pool.query(
          `SELECT * FROM (${base}) v WHERE ${where} ORDER BY v.next_due_on NULLS LAST, v.submitted_at DESC, v.incoming_id LIMIT $${args.push(query.limit)} OFFSET $${args.push(query.offset)}`, args);
        return ok({
          incoming: rows.map((r) => ({
            incomingId: r.incoming_id, institutionId: r.institution_id, siteId: r.site_id, participantRef: r.participant_ref, kind: r.kind, sendingOrgId: r.sending_org_id,
            sendingCountry: r.sending_country, startDate: r.start_date, endDate: r.end_date, stage: r.stage, nextDue: r.next_due, nextDueOn: r.next_due_on, missed: r.missed,
          })),
          total, limit: query.limit, offset: query.offset,
        });
      },
    }),
    route({
      method: 'GET', path: '/api/incoming/:id', operationId: 'getIncoming', summary: 'One incoming mobility: state, due dates, audit trail and the actions offered to you', tag: 'incoming',
      params: IdParams,
      responses: { 200: { description: 'the incoming mobility (live workflow queries)' }, ...STD, 404: E('no such incoming mobility in your scope') },
      handler: async ({ params, session }) => {
        const { state, snapshot, own } = await readable(deps, session.directory, session.principal, params.id);
        const { view, deadlines, audit } = snapshot;
        const actions = incomingActionsIn(state).map((name) => {
          const d = session.directory.canAct(session.principal, INCOMING_ACTIONS[name].permission, own);
          return { name, permission: INCOMING_ACTIONS[name].permission, allowed: d.allowed, reason: d.allowed ? null : d.reason };
        });
        return ok({ incomingId: params.id, stage: state.stage, view, state, deadlines: deadlines.deadlines, audit, actions });
      },
    }),
    ...INCOMING_ACTION_NAMES.map((name) =>
      route({
        method: 'POST', path: `/api/incoming/:id/actions/${name}`, operationId: `incoming_action_${name}`, tag: 'incoming',
        summary: `${name} (needs ${INCOMING_ACTIONS[name].permission}): runs the incoming workflow's Update; the domain may refuse`,
        params: IdParams,
        body: INCOMING_ACTION_BODIES[name],
        responses: {
          200: { description: 'applied', schema: ActionReply }, ...STD,
          403: E('your roles may not do this here (reason given); nothing changed'), 404: E('no such incoming mobility in your scope'),
          409: E('the domain refused (reason, code and rule); nothing changed'),
        },
        handler: async ({ params, body, session }) => {
          const { h, own } = await readable(deps, session.directory, session.principal, params.id);
          const may = session.directory.canAct(session.principal, INCOMING_ACTIONS[name].permission, own);
          if (!may.allowed) throw new HttpError(403, 'forbidden', may.reason, { reason: may.reason });
          try {
            const r = await h.act(name, { ...(body as object), actor: session.username } as never);
            return ok({ incomingId: params.id, action: name, stage: r.stage, events: r.events });
          } catch (err) {
            const cause = err instanceof WorkflowUpdateFailedError ? err.cause : null;
            if (cause instanceof ApplicationFailure) {
              if (cause.type === 'InvalidInput') throw new HttpError(400, 'bad-request', cause.message);
              const ruleId = (cause.details?.[0] as { ruleId?: string } | undefined)?.ruleId ?? null;
              const field = ACTION_FIELD[cause.type ?? ''];
              throw new HttpError(409, 'refused', cause.message, { reason: cause.message, code: cause.type, ruleId, ...(field ? { issues: [{ field, message: cause.message }] } : {}) });
            }
            if (err instanceof WorkflowNotFoundError) throw new HttpError(409, 'refused', `incoming mobility ${params.id} is closed`, { reason: 'the incoming mobility is closed', code: 'closed' });
            throw err;
          }
        },
      }),
    ),
  ];
}
