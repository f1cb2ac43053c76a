import { stringify } from 'csv-stringify/sync';
import ExcelJS from 'exceljs';
import JSZip from 'jszip';
import type pg from 'pg';
import { z } from 'zod';
import { BM_COLUMNS, BM_HEADERS, type BmMobility, type BmPerson, bmRows } from '../../domain/export/bm';
import { ProjectId } from '../../domain/ids';
import { FunderLineId } from '../../domain/mobility/codes';
import type { Principal, TenantDirectory } from '../../domain/tenancy';
import { mayReadPersonalData } from './participants';
import { HttpError, ok, route, type RouteSpec } from './route';
import type { ApiDeps } from './routes';

/**
 * The Beneficiary Module export (reference §3): a project's mobility import file, in XLSX and CSV,
 * built from the bm projection (workers/projections/bm.ts: the events' facts and grant lines) and,
 * for the readers allowed to see them, the registry's personal fields.
 *
 * - GET /api/projects/:projectId/bm-export.xlsx
 * - GET /api/projects/:projectId/bm-export.csv
 *   optional ?funderLineId=… keeps one funder line's mobilities (e.g. the Erasmus+ line only).
 *
 * Rows: every mobility of the project that was selected and is not rejected, withdrawn or cancelled,
 * and that the reader may read (its tenancy); grant columns from the final grant once the attendance
 * is certified, else the latest estimate. Ordered by mobility id.
 *
 * Scope: a project nobody in the reader's scope owns or sends mobilities in answers 404 (as one that
 * does not exist). Personal fields (name, birth date, gender, nationality, e-mail) are filled only
 * for participants whose registry record the reader may read (staff of the participant's institution
 * or site who register applications, participants.ts); for anyone else (consortium and network roles,
 * observers) they are blank, and the rest of the row is there. Each participant whose fields went
 * into a file is recorded in participant_audit as 'exported'. Never in the file: health or
 * fewer-opportunities criteria (the BM's yes/no flag only), force-majeure explanations (blank, §3).
 *
 * The same state gives the same bytes: fixed column and row order, the workbook's created/modified
 * dates and every zip entry's date set to the time of the latest event in the file (not now).
 */
const Params = z.strictObject({ projectId: ProjectId });
const Query = z.strictObject({ funderLineId: FunderLineId.optional().describe('only the mobilities of this funder line') });

/** The oldest date a zip entry can carry (DOS time): the file of a project without rows. */
const EPOCH = new Date(Date.UTC(1980, 0, 1));

interface Loaded { rows: (BmMobility & { siteId: string | null; consortiumId: string | null })[]; persons: Map<string, BmPerson & { institutionId: string; siteId: string | null }>; asOf: Date }

const readerOwns = (dir: TenantDirectory, p: Principal, owner: { institutionId: string; consortiumId: string | null }) =>
  dir.canRead(p, { institutionId: owner.institutionId, consortiumId: owner.consortiumId, siteId: null }).allowed;

async function load(pool: pg.Pool, dir: TenantDirectory, principal: Principal, projectId: string, funderLineId: string | undefined): Promise<Loaded> {
  const f = dir.readFilter(principal);
  const owners = (await pool.query<{ institution_id: string; consortium_id: string | null }>(
    'SELECT DISTINCT institution_id, consortium_id FROM budget_lines WHERE project_id = $1', [projectId])).rows;
  const args: unknown[] = [projectId, f.institutionIds, f.consortiumIds, f.siteIds];
  let sql = `SELECT m.*, to_char(m.planned_start, 'YYYY-MM-DD') AS ps, to_char(m.planned_end, 'YYYY-MM-DD') AS pe, to_char(m.departed_on, 'YYYY-MM-DD') AS dep,
                    to_char(m.extended_end, 'YYYY-MM-DD') AS ext, to_char(m.actual_start, 'YYYY-MM-DD') AS cs, to_char(m.actual_end, 'YYYY-MM-DD') AS ce,
                    to_char(m.report_submitted_on, 'YYYY-MM-DD') AS rso,
                    coalesce((SELECT json_agg(json_build_object('ruleId', l.rule_id, 'amountCents', l.amount_cents) ORDER BY l.line_no) FROM bm_grant_lines l
                               WHERE l.mobility_id = m.mobility_id AND l.phase = CASE WHEN m.certified THEN 'final' ELSE 'estimated' END), '[]') AS lines
               FROM bm_mobilities m
              WHERE m.project_id = $1 AND m.selected AND m.ended IS NULL AND m.participant_ref IS NOT NULL
                AND (m.institution_id = ANY($2) OR m.consortium_id = ANY($3) OR m.site_id = ANY($4))`;
  if (funderLineId) sql += ` AND m.funder_line_id = $${args.push(funderLineId)}`;
  sql += ' ORDER BY m.mobility_id';
  const found = (await pool.query(sql, args)).rows;
  if (found.length === 0 && !owners.some((o) => readerOwns(dir, principal, { institutionId: o.institution_id, consortiumId: o.consortium_id }))) {
    throw new HttpError(404, 'not-found', `no project ${projectId} in your scope`);
  }
  const rows = found.map((r): Loaded['rows'][number] => {
    const certified = r.certified as boolean;
    const phase = certified ? 'final' : 'estimated';
    const interrupted = certified ? (r.certified_interrupted_days as number) : (r.interrupted_days as number);
    return {
      mobilityId: r.mobility_id, projectId: r.project_id, institutionId: r.institution_id, consortiumId: r.consortium_id, siteId: r.site_id,
      participantRef: r.participant_ref, activity: r.activity, longTerm: r.long_term, fewerOpportunities: r.fewer_opportunities, greenTravel: r.green_travel,
      sendingCountry: r.sending_country, receivingCountry: r.receiving_country, hostOrgId: r.host_org_id, distanceKm: r.distance_km,
      startDate: certified ? r.cs : (r.dep ?? r.ps), endDate: certified ? r.ce : (r.ext ?? r.pe),
      // Certified: the certificate's days (interruptions already out). Before: the planned days (the estimate's basis) less interruptions so far.
      physicalDays: certified ? r.physical_days : Math.max(0, (r.planned_days as number) - interrupted),
      interruptedDays: interrupted, forceMajeure: r.force_majeure, zeroGrant: r.zero_grant, certified,
      grant: {
        phase, callYear: certified ? r.final_call_year : r.estimate_call_year, days: certified ? r.final_days : r.estimate_days,
        lines: (r.lines as { ruleId: string; amountCents: number | string }[]).map((l) => ({ ruleId: l.ruleId, amountCents: Number(l.amountCents) })),
      },
      report: { invited: r.report_invited, reminders: r.report_reminders, submittedOn: r.rso },
    };
  });
  const refs = rows.map((r) => r.participantRef);
  const persons = new Map<string, BmPerson & { institutionId: string; siteId: string | null }>();
  if (refs.length > 0) {
    const { rows: ps } = await pool.query(
      `SELECT participant_ref, institution_id, site_id, given_name, family_name, to_char(date_of_birth, 'YYYY-MM-DD') AS dob, gender, nationality, email
         FROM participants WHERE participant_ref = ANY($1) AND erased_at IS NULL`, [refs]);
    for (const p of ps) {
      persons.set(p.participant_ref, {
        institutionId: p.institution_id, siteId: p.site_id, givenName: p.given_name, familyName: p.family_name, dateOfBirth: p.dob,
        gender: p.gender, nationality: p.nationality, email: p.email,
      });
    }
  }
  const latest = found.reduce<number>((t, r) => Math.max(t, (r.last_event_at as Date).getTime()), EPOCH.getTime());
  // Zip entries keep even seconds (DOS time): the date is truncated to the second so the workbook's own dates agree.
  return { rows, persons, asOf: new Date(Math.floor(latest / 1000) * 1000) };
}

/** The rows with the personal fields the reader may see; audits each participant whose fields went in. */
async function fileRows(pool: pg.Pool, dir: TenantDirectory, principal: Principal, actor: string, loaded: Loaded) {
  const shown = new Set<string>();
  const rows = bmRows(loaded.rows, (m) => {
    const p = loaded.persons.get(m.participantRef);
    if (!p || !mayReadPersonalData(dir, principal, { institutionId: p.institutionId, siteId: p.siteId })) return null;
    shown.add(m.participantRef);
    return p;
  });
  if (shown.size > 0) {
    await pool.query(`INSERT INTO participant_audit (participant_ref, action, actor) SELECT r, 'exported', $2 FROM unnest($1::text[]) AS r`, [[...shown].sort(), actor]);
  }
  return rows;
}

export function bmCsv(rows: (string | number)[][]): Buffer {
  // UTF-8 with a byte-order mark, so a spreadsheet opens accented names correctly; CRLF as RFC 4180.
  return Buffer.from(stringify([BM_HEADERS, ...rows], { bom: true, record_delimiter: 'windows' }), 'utf8');
}

export async function bmXlsx(rows: (string | number)[][], asOf: Date): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  wb.creator = 'Mobility engine';
  wb.lastModifiedBy = 'Mobility engine';
  wb.created = asOf;
  wb.modified = asOf;
  const ws = wb.addWorksheet('Mobilities');
  ws.columns = BM_COLUMNS.map((c) => ({ header: c.header, key: c.key, width: Math.max(12, Math.min(40, c.header.length + 2)) }));
  ws.getRow(1).font = { bold: true };
  ws.views = [{ state: 'frozen', ySplit: 1 }];
  for (const r of rows) {
    // Money as numbers with two decimals (a spreadsheet sums them); the file's text is exact to the cent.
    ws.addRow(r.map((v, i) => (BM_COLUMNS[i]!.money ? Number(v) : v)));
  }
  BM_COLUMNS.forEach((c, i) => { if (c.money) ws.getColumn(i + 1).numFmt = '0.00'; });
  const raw = Buffer.from(await wb.xlsx.writeBuffer());
  // exceljs stamps every zip entry with the current time: re-pack the same entries, in the same order, dated asOf.
  const src = await JSZip.loadAsync(raw);
  const out = new JSZip();
  for (const name of Object.keys(src.files)) {
    const f = src.files[name]!;
    if (f.dir) continue;
    out.file(name, await f.async('uint8array'), { date: asOf, createFolders: false });
  }
  return out.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE', compressionOptions: { level: 6 }, platform: 'UNIX' });
}

export function exportRoutes(deps: Pick<ApiDeps, 'pool'>): RouteSpec[] {
  const { pool } = deps;
  const responses = (type: string) => ({
    200: { description: `the Beneficiary Module mobility file (${type})` },
    400: { description: 'invalid project id or query: names the field' }, 401: { description: 'no live session' },
    404: { description: 'no such project in your scope' },
  });
  const handler = (kind: 'xlsx' | 'csv') => route({
    method: 'GET', path: `/api/projects/:projectId/bm-export.${kind}`, operationId: `bmExport${kind === 'xlsx' ? 'Xlsx' : 'Csv'}`, tag: 'exports',
    summary: `The project's Beneficiary Module mobility import file (${kind.toUpperCase()}): BM columns and codes, grants to the cent; personal fields only for readers of the registry`,
    params: Params, query: Query, responses: responses(kind),
    handler: async ({ params, query, session, reply }) => {
      const loaded = await load(pool, session.directory, session.principal, params.projectId, query.funderLineId);
      const rows = await fileRows(pool, session.directory, session.principal, session.username, loaded);
      const body = kind === 'csv' ? bmCsv(rows) : await bmXlsx(rows, loaded.asOf);
      reply.header('content-type', kind === 'csv' ? 'text/csv; charset=utf-8' : 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
      reply.header('content-disposition', `attachment; filename="${params.projectId}-bm-mobilities.${kind}"`);
      reply.header('cache-control', 'no-store');
      return ok(body);
    },
  });
  return [handler('xlsx'), handler('csv')];
}
