import { createHash, randomBytes } from 'node:crypto';
import ical, { ICalAlarmType } from 'ical-generator';
import type pg from 'pg';
import { z } from 'zod';
import { DEADLINE_LABELS, type DeadlineId } from '../../domain/calendar/deadlines';
import { OrgId } from '../../domain/ids';
import type { Principal, TenantDirectory } from '../../domain/tenancy';
import { loadDirectory, loadPrincipal } from './directory';
import { HttpError, ok, route, type RouteSpec } from './route';
import type { ApiDeps } from './routes';

/**
 * Private iCalendar feeds (RFC 5545) of due dates, per institution, consortium or site (migration 371).
 *
 * - POST   /api/calendar-feeds { scope: { kind, id }, label? } → 201 { id, url, ... }: the URL carries a
 *   random token (256 bits, base64url) shown once; only its SHA-256 is stored. The scope must be in the
 *   creator's view (404 otherwise, as for one that does not exist).
 * - GET    /api/calendar-feeds → the caller's feeds (never a token).
 * - DELETE /api/calendar-feeds/:id → revoked at once (the caller's own feeds; 404 otherwise).
 * - GET    /cal/<token>.ics (no session: calendar clients cannot sign in) → text/calendar. Unknown or
 *   revoked token: 404.
 *
 * A feed lists the open due dates (quality_schedule: the deadlines each workflow last published with
 * DeadlinesScheduled, under its project's policy) of the mobilities of its scope that its creator may
 * still read now (their current roles; a creator who lost them gets an empty calendar). One all-day
 * VEVENT per mobility and deadline, UID `<mobility id>/<deadline id>@mobility-engine` (stable: a
 * rescheduled due date moves the same event), summary "<mobility id>: <deadline label>", an alarm a
 * day before for obligations. No personal data: mobility ids and deadline labels only.
 */
const ScopeKind = z.enum(['institution', 'consortium', 'site']);
const NewFeed = z.strictObject({
  scope: z.strictObject({ kind: ScopeKind, id: OrgId.describe('the institution, consortium or site id') }),
  label: z.string().trim().min(1).max(100).optional().describe('how the calendar is named in the client (default: the scope)'),
});
const FeedParams = z.strictObject({ id: z.coerce.number().int().positive().max(2 ** 53 - 1) });
const CalParams = z.strictObject({ file: z.string().regex(/^[A-Za-z0-9_-]{43}\.ics$/, 'calendar file: <token>.ics') });
const Feed = z.object({ id: z.number(), scope: z.object({ kind: ScopeKind, id: z.string() }), label: z.string(), createdAt: z.string(), revokedAt: z.string().nullable() });

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');
const feedPath = (token: string) => `/cal/${token}.ics`;

/** Whether a scope (institution, consortium, site) lies within what the principal may read. */
async function inView(pool: pg.Pool | pg.PoolClient, dir: TenantDirectory, p: Principal, kind: z.infer<typeof ScopeKind>, id: string): Promise<boolean> {
  const f = dir.readFilter(p);
  switch (kind) {
    case 'institution':
      // Its own institution's staff, or a consortium or network role reaching it; a site's staff keep to their site.
      return dir.visibleInstitutions({ ...p, roles: p.roles.filter((g) => g.scope.kind !== 'site') }).has(id);
    case 'consortium':
      return f.consortiumIds.includes(id);
    case 'site': {
      if (f.siteIds.includes(id)) return true;
      const { rows } = await pool.query<{ institution_id: string }>('SELECT institution_id FROM tenancy_sites WHERE id = $1', [id]);
      return rows.length > 0 && f.institutionIds.includes(rows[0]!.institution_id);
    }
  }
}

const toFeed = (r: Record<string, any>) => ({
  id: Number(r.id), scope: { kind: r.scope_kind, id: r.scope_id }, label: r.label, createdAt: (r.created_at as Date).toISOString(),
  revokedAt: r.revoked_at ? (r.revoked_at as Date).toISOString() : null,
});

/** The feed's calendar text: the open due dates of the scope's mobilities that the creator may read. */
export async function feedCalendar(pool: pg.Pool, dir: TenantDirectory, creator: Principal, feed: { scope_kind: string; scope_id: string; label: string }): Promise<string> {
  const f = dir.readFilter(creator);
  const scopeColumn = { institution: 'v.institution_id', consortium: 'v.consortium_id', site: 'v.site_id' }[feed.scope_kind as z.infer<typeof ScopeKind>];
  const { rows } = await pool.query<{ mobility_id: string; deadline: string; kind: string; due: string }>(
    `WITH v AS (
       SELECT q.mobility_id, q.institution_id, q.consortium_id, coalesce(b.site_id, c.site_id) AS site_id, q.stage_rank
         FROM quality_mobilities q
         LEFT JOIN bm_mobilities b USING (mobility_id)
         LEFT JOIN console_mobilities c USING (mobility_id))
     SELECT s.mobility_id, s.deadline, s.kind, to_char(s.due_on, 'YYYY-MM-DD') AS due
       FROM v JOIN quality_schedule s USING (mobility_id)
      WHERE ${scopeColumn} = $1 AND v.stage_rank < 100
        AND (v.institution_id = ANY($2) OR v.consortium_id = ANY($3) OR v.site_id = ANY($4))
      ORDER BY s.due_on, s.mobility_id, s.deadline`,
    [feed.scope_id, f.institutionIds, f.consortiumIds, f.siteIds]);
  const cal = ical({ name: `Due dates: ${feed.label}`, prodId: { company: 'mobility-engine', product: 'due-dates', language: 'EN' } });
  for (const r of rows) {
    const [y, m, d] = r.due.split('-').map(Number) as [number, number, number];
    const label = DEADLINE_LABELS[r.deadline as DeadlineId] ?? r.deadline;
    cal.createEvent({
      id: `${r.mobility_id}/${r.deadline}@mobility-engine`,
      start: new Date(Date.UTC(y, m - 1, d)),
      allDay: true,
      summary: `${r.mobility_id}: ${label}`,
      description: `${label} (${r.kind === 'window' ? 'window closes' : 'due'}) for mobility ${r.mobility_id}`,
      alarms: r.kind === 'obligation' ? [{ type: ICalAlarmType.display, trigger: 86_400, description: `${r.mobility_id}: ${label} due tomorrow` }] : [],
    });
  }
  return cal.toString();
}

export function calendarFeedRoutes(deps: Pick<ApiDeps, 'pool'>): RouteSpec[] {
  const { pool } = deps;
  const notFound = (what: string) => new HttpError(404, 'not-found', `no ${what} in your scope`);
  return [
    route({
      method: 'POST', path: '/api/calendar-feeds', operationId: 'createCalendarFeed', tag: 'calendars',
      summary: 'Create a private iCalendar feed of the due dates of an institution, consortium or site in your scope: the URL (with its token) is shown once',
      body: NewFeed,
      responses: {
        201: { description: 'the feed and its private URL', schema: Feed.extend({ url: z.string(), path: z.string() }) },
        400: { description: 'invalid input: names each field' }, 401: { description: 'no live session' }, 404: { description: 'no such scope in your view' },
      },
      handler: async ({ body, session, req }) => {
        if (!(await inView(pool, session.directory, session.principal, body.scope.kind, body.scope.id))) throw notFound(`${body.scope.kind} ${body.scope.id}`);
        const token = randomBytes(32).toString('base64url');
        const label = body.label ?? `${body.scope.kind} ${body.scope.id}`;
        const { rows } = await pool.query(
          `INSERT INTO calendar_feeds (token_hash, scope_kind, scope_id, label, created_by) VALUES ($1, $2, $3, $4, $5) RETURNING *`,
          [sha256(token), body.scope.kind, body.scope.id, label, session.username]);
        const path = feedPath(token);
        const host = req.headers.host ?? '127.0.0.1';
        return ok({ ...toFeed(rows[0]), path, url: `${req.protocol}://${host}${path}` }, 201);
      },
    }),
    route({
      method: 'GET', path: '/api/calendar-feeds', operationId: 'listCalendarFeeds', tag: 'calendars',
      summary: 'Your calendar feeds (their tokens are never shown again)',
      responses: { 200: { description: 'the feeds', schema: z.object({ feeds: z.array(Feed) }) }, 401: { description: 'no live session' } },
      handler: async ({ session }) => {
        const { rows } = await pool.query('SELECT * FROM calendar_feeds WHERE created_by = $1 ORDER BY id', [session.username]);
        return ok({ feeds: rows.map(toFeed) });
      },
    }),
    route({
      method: 'DELETE', path: '/api/calendar-feeds/:id', operationId: 'revokeCalendarFeed', tag: 'calendars',
      summary: 'Revoke one of your calendar feeds: its URL answers 404 from now on (revoking again changes nothing)',
      params: FeedParams,
      responses: { 200: { description: 'revoked', schema: Feed }, 400: { description: 'invalid id' }, 401: { description: 'no live session' }, 404: { description: 'no such feed of yours' } },
      handler: async ({ params, session }) => {
        const { rows } = await pool.query(
          `UPDATE calendar_feeds SET revoked_at = coalesce(revoked_at, now()), revoked_by = coalesce(revoked_by, $2)
            WHERE id = $1 AND created_by = $2 RETURNING *`, [params.id, session.username]);
        if (rows.length === 0) throw notFound(`calendar feed ${params.id}`);
        return ok(toFeed(rows[0]));
      },
    }),
    route({
      method: 'GET', path: '/cal/:file', operationId: 'calendarFeed', tag: 'calendars', public: true,
      summary: 'A private calendar feed (RFC 5545), by its token: no session (the token is the key); unknown or revoked → 404',
      params: CalParams,
      responses: { 200: { description: 'text/calendar' }, 400: { description: 'not a feed file name' }, 404: { description: 'no such feed, or revoked' } },
      handler: async ({ params, reply }) => {
        const token = params.file.slice(0, -'.ics'.length);
        const { rows } = await pool.query('SELECT * FROM calendar_feeds WHERE token_hash = $1 AND revoked_at IS NULL', [sha256(token)]);
        const feed = rows[0];
        if (!feed) throw new HttpError(404, 'not-found', 'no such calendar feed');
        const [creator, dir] = await Promise.all([loadPrincipal(pool, feed.created_by), loadDirectory(pool)]);
        const text = await feedCalendar(pool, dir, creator, feed);
        reply.header('content-type', 'text/calendar; charset=utf-8');
        reply.header('cache-control', 'private, no-store');
        return ok(text);
      },
    }),
  ];
}
