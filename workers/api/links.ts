import { randomBytes } from 'node:crypto';
import { WorkflowNotFoundError } from '@temporalio/client';
import type pg from 'pg';
import { z } from 'zod';
import { IsoDate, MobilityId } from '../../domain/ids';
import type { MobilityState } from '../../domain/mobility/state';
import type { Action } from '../../domain/tenancy';
import { loadConfig } from '../../infra/config';
import {
  type LinkAudience, LinkAudience as AudienceSchema, type LinkClaims, LinkPurpose, type LinkPurpose as Purpose, LinkSigner, PURPOSE_AUDIENCES, linkIdFor, tokenHash,
} from '../../infra/links/tokens';
import { mobility } from '../../workflows/client';
import { storeAndAttach, uploadedBytes } from './documents';
import { HttpError, ok, route, type RouteSpec } from './route';
import { type ApiDeps, readable, updateFailure } from './routes';

/**
 * Signed participant and host links (issue 13 item 8). A reminder e-mail (activities/notifications.ts)
 * or a staff member (the console's "host link" button) gives a link `<console>/link/<token>`; the token
 * is a JWT signed with the engine's link key (infra/links/tokens.ts) naming one mobility, the audience
 * (participant or host), one purpose and an expiry. Through it, without an account:
 * - `certificate-of-attendance` (host or participant): upload the signed certificate with the actual
 *   dates → the document is attached and the certificate recorded through the mobility's workflow;
 * - `report-confirmation` (participant): confirm the participant report was submitted.
 * A link that expired (410) or was altered (403) is refused and changes nothing; a link acts only on its
 * own mobility and only for its purpose (403). Every use, refusals included, is a row of `link_audit`.
 */
export const LINK_TTL_DAYS = { reminder: 180, issued: 60 } as const;
const PURPOSE_PERMISSION: Record<Purpose, Action> = { 'certificate-of-attendance': 'mobility.certify-attendance', 'report-confirmation': 'mobility.record-report' };

let signer: LinkSigner | null = null;
/** The link signer of this deployment (`<dataDir>/keys/link-signing.key`). */
export const linkSigner = (): LinkSigner => (signer ??= LinkSigner.forDataDir(loadConfig().dataDir));
export const linkUrl = (token: string, base = loadConfig().console.url): string => `${base}/link/${token}`;

interface AuditRow {
  token: string;
  claims: Pick<LinkClaims, 'linkId' | 'mobilityId' | 'audience' | 'purpose'> | { linkId: string | null; mobilityId: string | null; audience?: undefined; purpose?: undefined };
  action: 'issue' | 'view' | Purpose;
  requestedMobilityId?: string | null;
  outcome: 'issued' | 'viewed' | 'applied' | 'refused' | 'expired' | 'invalid' | 'mismatch';
  detail?: string;
  actor: string;
}
export async function auditLink(pool: pg.Pool, r: AuditRow): Promise<void> {
  await pool.query(
    `INSERT INTO link_audit (link_id, token_sha256, mobility_id, audience, purpose, action, requested_mobility_id, outcome, detail, actor)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
    [r.claims.linkId, tokenHash(r.token), r.claims.mobilityId, r.claims.audience ?? null, r.claims.purpose ?? null, r.action, r.requestedMobilityId ?? null, r.outcome, (r.detail ?? '').slice(0, 500), r.actor],
  );
}

/** A valid link's claims, or the refusal (audited, 410 expired / 403 altered). */
async function verified(pool: pg.Pool, token: string, action: AuditRow['action'], requestedMobilityId: string | null): Promise<LinkClaims> {
  const v = await linkSigner().verify(token);
  if (v.ok) return v.claims;
  await auditLink(pool, { token, claims: { linkId: v.linkId, mobilityId: v.mobilityId }, action, requestedMobilityId, outcome: v.code === 'link-expired' ? 'expired' : 'invalid', detail: v.message, actor: 'anonymous' });
  throw new HttpError(v.code === 'link-expired' ? 410 : 403, v.code, v.message, { reason: v.message });
}

/** The link may do this, on this mobility: else audited and 403 (nothing changes). */
async function mustMatch(pool: pg.Pool, token: string, c: LinkClaims, purpose: Purpose, mobilityId: string): Promise<void> {
  const why = c.purpose !== purpose ? `this link is for the ${c.purpose}, not the ${purpose}`
    : c.mobilityId !== mobilityId ? `this link is for another mobility than ${mobilityId}` : null;
  if (!why) return;
  await auditLink(pool, { token, claims: c, action: purpose, requestedMobilityId: mobilityId, outcome: 'mismatch', detail: why, actor: c.audience });
  throw new HttpError(403, 'link-mismatch', why, { reason: why });
}

async function stateOf(deps: ApiDeps, mobilityId: string): Promise<{ m: ReturnType<typeof mobility>; state: MobilityState }> {
  const m = mobility(deps.temporal, mobilityId);
  try {
    return { m, state: await m.state() };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw new HttpError(404, 'not-found', 'this mobility is no longer open');
    throw err;
  }
}

/** Whether what the link asks for is still awaited (the page says "already done" otherwise). */
const awaited = (purpose: Purpose, s: MobilityState): boolean =>
  purpose === 'certificate-of-attendance' ? s.stage === 'departed' : s.stage === 'attended' && s.reportInvitation !== null;

const TokenParams = z.strictObject({ token: z.string().min(20).max(2000).regex(/^[A-Za-z0-9_.-]+$/, 'token: the link as sent') });
const LinkInfo = z.object({
  linkId: z.string(), mobilityId: z.string(), audience: AudienceSchema, purpose: LinkPurpose, expiresAt: z.string(), stage: z.string(), awaited: z.boolean(),
  plannedStartDate: z.string().nullable(), plannedEndDate: z.string().nullable(),
});
const CertificateQuery = z.strictObject({ mobilityId: MobilityId, actualStartDate: IsoDate, actualEndDate: IsoDate });
const ReportBody = z.strictObject({ mobilityId: MobilityId, submittedOn: IsoDate });
const IssueBody = z.strictObject({ audience: AudienceSchema, purpose: LinkPurpose });
const LINK_ERRORS = {
  403: { description: 'the link was altered or is not the engine\'s (link-invalid), or is for another mobility or purpose (link-mismatch); nothing changed' },
  410: { description: 'the link expired (link-expired); nothing changed' },
};

export function linkRoutes(deps: ApiDeps): RouteSpec[] {
  const { pool } = deps;
  return [
    route({
      method: 'POST', path: '/api/mobilities/:id/links', operationId: 'issueLink', tag: 'links',
      summary: `A signed link for the host (or the participant), valid ${LINK_TTL_DAYS.issued} days: e.g. for the host to upload the certificate of attendance (needs the permission of the action the link performs)`,
      params: z.strictObject({ id: MobilityId }), body: IssueBody,
      responses: {
        201: { description: 'the link', schema: z.object({ url: z.string(), linkId: z.string(), expiresAt: z.string(), audience: AudienceSchema, purpose: LinkPurpose }) },
        400: { description: 'invalid input: names each field' }, 401: { description: 'no live session' }, 403: { description: 'your roles may not do what the link does here' }, 404: { description: 'no such mobility in your scope' },
      },
      handler: async ({ params, body, session }) => {
        const { ownership } = await readable(deps, session.directory, session.principal, params.id);
        const may = session.directory.canAct(session.principal, PURPOSE_PERMISSION[body.purpose], ownership);
        if (!may.allowed) throw new HttpError(403, 'forbidden', may.reason, { reason: may.reason });
        if (!PURPOSE_AUDIENCES[body.purpose].includes(body.audience)) {
          throw new HttpError(400, 'bad-request', `a ${body.purpose} link is for ${PURPOSE_AUDIENCES[body.purpose].join(' or ')}`, { issues: [{ field: 'audience', message: `one of ${PURPOSE_AUDIENCES[body.purpose].join(', ')}` }] });
        }
        const claims: LinkClaims = { linkId: linkIdFor(randomBytes(16).toString('hex')), mobilityId: params.id, audience: body.audience, purpose: body.purpose, expiresAt: Math.floor(Date.now() / 1000) + LINK_TTL_DAYS.issued * 86_400 };
        const token = await linkSigner().sign(claims);
        await auditLink(pool, { token, claims, action: 'issue', requestedMobilityId: params.id, outcome: 'issued', detail: `valid ${LINK_TTL_DAYS.issued} days`, actor: session.username });
        return ok({ url: linkUrl(token), linkId: claims.linkId, expiresAt: new Date(claims.expiresAt * 1000).toISOString(), audience: claims.audience, purpose: claims.purpose }, 201);
      },
    }),
    route({
      method: 'GET', path: '/api/links/:token', operationId: 'openLink', tag: 'links', public: true,
      summary: 'What a signed link is for (no session: the link is the authority): its mobility, audience, purpose, expiry, and whether it is still awaited',
      params: TokenParams,
      responses: { 200: { description: 'the link', schema: LinkInfo }, 400: { description: 'not a token' }, 404: { description: 'the mobility is closed' }, ...LINK_ERRORS },
      handler: async ({ params }) => {
        const c = await verified(pool, params.token, 'view', null);
        const { state } = await stateOf(deps, c.mobilityId);
        await auditLink(pool, { token: params.token, claims: c, action: 'view', requestedMobilityId: c.mobilityId, outcome: 'viewed', detail: `stage ${state.stage}`, actor: c.audience });
        const plan = state.stage === 'none' ? null : state.plan;
        return ok({
          linkId: c.linkId, mobilityId: c.mobilityId, audience: c.audience, purpose: c.purpose, expiresAt: new Date(c.expiresAt * 1000).toISOString(),
          stage: state.stage, awaited: awaited(c.purpose, state), plannedStartDate: plan?.startDate ?? null, plannedEndDate: plan?.endDate ?? null,
        });
      },
    }),
    route({
      method: 'POST', path: '/api/links/:token/certificate-of-attendance', operationId: 'linkCertificateOfAttendance', tag: 'links', public: true,
      summary: 'Through a certificate-of-attendance link: the signed certificate (body: its bytes, PDF/PNG/JPEG, at most 10 MiB) and the actual dates → the document attached and the certificate recorded by the workflow',
      params: TokenParams, query: CertificateQuery,
      responses: {
        200: { description: 'recorded: the mobility moved on', schema: z.object({ mobilityId: z.string(), stage: z.string(), events: z.array(z.string()), documentId: z.string(), sha256: z.string() }) },
        400: { description: 'invalid input: names each field' }, 404: { description: 'the mobility is closed' }, 409: { description: 'the domain refused (already recorded, dates); nothing changed' },
        413: { description: 'larger than 10 MiB' }, 415: { description: 'not a PDF, PNG or JPEG by its bytes' }, ...LINK_ERRORS,
      },
      handler: async ({ params, query, req }) => {
        const purpose = 'certificate-of-attendance' as const;
        const c = await verified(pool, params.token, purpose, query.mobilityId);
        await mustMatch(pool, params.token, c, purpose, query.mobilityId);
        const actor = `link:${c.audience}`;
        const refuse = async (err: HttpError) => {
          await auditLink(pool, { token: params.token, claims: c, action: purpose, requestedMobilityId: query.mobilityId, outcome: 'refused', detail: err.message, actor });
          return err;
        };
        const { m, state } = await stateOf(deps, c.mobilityId);
        if (state.stage === 'none') throw await refuse(new HttpError(404, 'not-found', 'no such mobility'));
        // Awaited only while the participant is abroad. The dates are the workflow's to judge (its clock is the truth): if it
        // refuses them the proof stays attached (the same file again is recognised) and the link can be used again with other dates.
        if (state.stage !== 'departed') {
          throw await refuse(new HttpError(409, 'refused', `the certificate of attendance is not awaited (stage '${state.stage}'): it may already be recorded`, { reason: 'not awaited', code: 'wrong-stage' }));
        }
        let attached;
        try {
          attached = await storeAndAttach(m, state, uploadedBytes(req.body), 'certificate-of-attendance', actor);
          const r = await m.act('recordCertificateOfAttendance', { actor, actualStartDate: query.actualStartDate, actualEndDate: query.actualEndDate }, `link-certificate:${c.linkId}:${attached.document.documentId}`);
          await auditLink(pool, { token: params.token, claims: c, action: purpose, requestedMobilityId: query.mobilityId, outcome: 'applied', detail: `${attached.document.documentId} sha256 ${attached.document.sha256}; ${r.events.join(', ')}`, actor });
          return ok({ mobilityId: c.mobilityId, stage: r.stage, events: [...attached.events, ...r.events], documentId: attached.document.documentId, sha256: attached.document.sha256 });
        } catch (err) {
          const e = err instanceof HttpError ? err : updateFailure(err);
          if (e) throw await refuse(e);
          throw err;
        }
      },
    }),
    route({
      method: 'POST', path: '/api/links/:token/report-confirmation', operationId: 'linkReportConfirmation', tag: 'links', public: true,
      summary: 'Through a report-confirmation link: the participant confirms the participant report was submitted (the date) → recorded by the workflow',
      params: TokenParams, body: ReportBody,
      responses: {
        200: { description: 'recorded', schema: z.object({ mobilityId: z.string(), stage: z.string(), events: z.array(z.string()) }) },
        400: { description: 'invalid input: names each field' }, 404: { description: 'the mobility is closed' }, 409: { description: 'the domain refused; nothing changed' }, ...LINK_ERRORS,
      },
      handler: async ({ params, body }) => {
        const purpose = 'report-confirmation' as const;
        const c = await verified(pool, params.token, purpose, body.mobilityId);
        await mustMatch(pool, params.token, c, purpose, body.mobilityId);
        const actor = `link:${c.audience}`;
        const { m } = await stateOf(deps, c.mobilityId);
        try {
          const r = await m.act('recordReportSubmitted', { actor, submittedOn: body.submittedOn }, `link-report:${c.linkId}`);
          await auditLink(pool, { token: params.token, claims: c, action: purpose, requestedMobilityId: body.mobilityId, outcome: 'applied', detail: r.events.join(', '), actor });
          return ok({ mobilityId: c.mobilityId, stage: r.stage, events: r.events });
        } catch (err) {
          const e = updateFailure(err);
          if (!e) throw err;
          await auditLink(pool, { token: params.token, claims: c, action: purpose, requestedMobilityId: body.mobilityId, outcome: 'refused', detail: e.message, actor });
          throw e;
        }
      },
    }),
  ];
}

export type { LinkAudience };
