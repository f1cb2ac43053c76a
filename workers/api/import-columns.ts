import { parse as parseCsv } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import { z } from 'zod';
import { TakeOverFacts } from '../../domain/mobility/commands';
import { StageName } from '../../domain/mobility/lifecycle';
import { NewParticipant } from './participants';
import { ApplicationBody } from './submission';

/**
 * The import template's columns, each the domain schema of the field it fills (the application of the
 * single submission, the participant registry's record, the takeover's facts): formats and allowed codes
 * are read from those schemas, never typed twice. Euros of payments already made are the only amounts a
 * file carries (facts of the past); every grant is the engine's, and a column that is not listed here
 * (a grant, a rate) refuses the file.
 */
const plan = ApplicationBody.shape.plan.shape;
const takeOver = TakeOverFacts.shape;
const agreement = takeOver.agreement.unwrap().shape;
const attendance = takeOver.attendance.unwrap().shape;
const payment = takeOver.payments.element.shape;

/** A payment already made, in euros with at most two decimals (e.g. 1234.56); turned into exact cents. */
export const EuroAmount = z.string().regex(/^\d{1,7}([.,]\d{1,2})?$/, 'an amount in euros with at most two decimals, e.g. 1234.56');
export const euroToCents = (s: string): number => {
  const [whole, frac = ''] = s.replace(',', '.').split('.');
  return Number(whole) * 100 + Number(frac.padEnd(2, '0'));
};
export const ApplicationRef = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}$/, "the institution's own application reference: letters, digits, . _ : / - (at most 64)");
/** The stage a row starts at: a new application, or a mobility under way taken over at its stage. */
export const ImportStage = z.enum(['applied', ...takeOver.stage.options]);

export type Target = 'row' | 'application' | 'plan' | 'participant' | 'takeover' | 'agreement' | 'attendance' | 'prefinancing' | 'balance';
export interface Column {
  name: string;
  target: Target;
  field: string;
  schema: z.ZodType;
  required: 'always' | 'never' | string;
  description: string;
}

const col = (name: string, target: Target, field: string, schema: z.ZodType, required: Column['required'], description: string): Column =>
  ({ name, target, field, schema, required, description });

export const COLUMNS: readonly Column[] = [
  col('application_ref', 'row', 'applicationRef', ApplicationRef, 'always', "your own reference of the application: importing the same file again starts nothing twice"),
  col('institution_id', 'application', 'institutionId', ApplicationBody.shape.institutionId, 'always', 'the sending institution (a member of the project\'s consortium, or the project\'s institution)'),
  col('site_id', 'application', 'siteId', ApplicationBody.shape.siteId, 'never', 'the site (campus) of the institution, if any'),
  col('participant_ref', 'application', 'participantRef', ApplicationBody.shape.participantRef, 'either this or the participant\'s personal fields', 'a participant already in the registry'),
  col('given_name', 'participant', 'givenName', NewParticipant.shape.givenName, 'without participant_ref', 'registered in the protected registry only'),
  col('family_name', 'participant', 'familyName', NewParticipant.shape.familyName, 'without participant_ref', 'registered in the protected registry only'),
  col('email', 'participant', 'email', NewParticipant.shape.email, 'without participant_ref', 'registered in the protected registry only (reminders go there)'),
  col('date_of_birth', 'participant', 'dateOfBirth', NewParticipant.shape.dateOfBirth, 'without participant_ref', 'registered in the protected registry only'),
  col('gender', 'participant', 'gender', NewParticipant.shape.gender, 'without participant_ref', 'registered in the protected registry only'),
  col('nationality', 'participant', 'nationality', NewParticipant.shape.nationality, 'without participant_ref', 'registered in the protected registry only'),
  col('fewer_opportunities_criterion', 'participant', 'fewerOpportunitiesCriterion', NewParticipant.shape.fewerOpportunitiesCriterion, 'never', 'the code only; kept in the registry, the mobility carries the flag'),
  col('activity', 'application', 'activity', ApplicationBody.shape.activity, 'always', 'the activity type'),
  col('funder_line_id', 'application', 'funderLineId', ApplicationBody.shape.funderLineId, 'always', 'a funder line of the project'),
  col('start_date', 'plan', 'startDate', plan.startDate, 'always', 'planned start'),
  col('end_date', 'plan', 'endDate', plan.endDate, 'always', 'planned end'),
  col('receiving_country', 'plan', 'receivingCountry', plan.receivingCountry, 'always', 'host country'),
  col('sending_country', 'plan', 'sendingCountry', plan.sendingCountry, 'always', 'sending country'),
  col('host_org_id', 'plan', 'hostOrgId', plan.hostOrgId, 'always', 'the host organisation'),
  col('distance_km', 'plan', 'distanceKm', plan.distanceKm, 'never', 'one-way distance (EC distance calculator)'),
  col('green_travel', 'plan', 'greenTravel', plan.greenTravel, 'always', 'true or false'),
  col('fewer_opportunities', 'plan', 'fewerOpportunities', plan.fewerOpportunities, 'always', 'true or false (true anyway with a criterion)'),
  col('recent_graduate', 'plan', 'recentGraduate', plan.recentGraduate, 'never', 'true or false'),
  col('blended', 'plan', 'blended', plan.blended, 'never', 'true or false'),
  col('doctoral', 'plan', 'doctoral', plan.doctoral, 'never', 'true or false'),
  col('hybrid', 'plan', 'hybrid', plan.hybrid, 'never', 'true or false'),
  col('long_term', 'plan', 'longTerm', plan.longTerm, 'never', 'true or false (activities with both forms)'),
  col('stage', 'takeover', 'stage', ImportStage, 'never', 'empty or applied: a new application; otherwise a mobility under way, taken over at its stage'),
  col('selected_on', 'takeover', 'selectedOn', takeOver.selectedOn, 'from stage selected', 'the selection date'),
  col('participant_signed_on', 'agreement', 'participantSignedOn', agreement.participantSignedOn, 'from stage agreed', 'grant agreement signed by the participant'),
  col('institution_signed_on', 'agreement', 'institutionSignedOn', agreement.institutionSignedOn, 'from stage agreed', 'grant agreement signed by the institution'),
  col('prefinancing_percent', 'agreement', 'prefinancingPercent', agreement.prefinancingPercent, 'never', "the agreement's pre-financing rate (default: the project's)"),
  col('departed_on', 'takeover', 'departedOn', takeOver.departedOn.unwrap(), 'from stage departed', 'actual start date'),
  col('attendance_start_date', 'attendance', 'actualStartDate', attendance.actualStartDate, 'never', 'certificate of attendance: start (default: departed_on)'),
  col('attendance_end_date', 'attendance', 'actualEndDate', attendance.actualEndDate, 'at stage attended', 'certificate of attendance: end'),
  col('prefinancing_paid_eur', 'prefinancing', 'amountCents', EuroAmount, 'never', 'pre-financing already paid (euros): recorded as paid, never ordered again'),
  col('prefinancing_paid_on', 'prefinancing', 'paidOn', payment.paidOn, 'with prefinancing_paid_eur', 'when it was paid'),
  col('prefinancing_payment_id', 'prefinancing', 'paymentId', payment.paymentId, 'never', 'your accounting reference (default: IMP-<application_ref>-PF)'),
  col('balance_paid_eur', 'balance', 'amountCents', EuroAmount, 'never', 'balance already paid (euros), at stage attended'),
  col('balance_paid_on', 'balance', 'paidOn', payment.paidOn, 'with balance_paid_eur', 'when it was paid'),
  col('balance_payment_id', 'balance', 'paymentId', payment.paymentId, 'never', 'your accounting reference (default: IMP-<application_ref>-BAL)'),
];
export const COLUMN_NAMES = COLUMNS.map((c) => c.name);
void StageName;

const inner = (s: z.ZodType): z.ZodType => {
  let x = s as z.ZodType & { def: { type: string; innerType?: z.ZodType } };
  while (x.def.innerType && ['optional', 'nullable', 'default'].includes(x.def.type)) x = x.def.innerType as typeof x;
  return x;
};
/** The JSON-schema type of a column (string, integer, number, boolean) and its codes, from its domain schema. */
export const describeColumn = (c: Column): { type: string; format: string; codes: string[] } => {
  const js = z.toJSONSchema(inner(c.schema), { io: 'input', unrepresentable: 'any' }) as { type?: string; enum?: unknown[]; format?: string; pattern?: string; minimum?: number; maximum?: number; minLength?: number; maxLength?: number };
  const codes = (js.enum ?? []).map(String);
  const type = js.type ?? 'string';
  const format = codes.length > 0 ? 'one of the codes'
    : js.format === 'date' || js.pattern === '^\\d{4}-\\d{2}-\\d{2}$' || /date|_on$/.test(c.name) ? 'date YYYY-MM-DD'
      : type === 'boolean' ? 'true / false' : type === 'integer' ? `integer${js.minimum !== undefined ? ` ${js.minimum}–${js.maximum ?? '…'}` : ''}`
        : c.schema === EuroAmount ? 'euros, e.g. 1234.56' : js.format === 'email' ? 'e-mail address' : js.pattern ? `text matching ${js.pattern}` : 'text';
  return { type, format, codes };
};

/** Reads a cell as text: dates as YYYY-MM-DD, numbers and booleans as written, empty as ''. */
const cellText = (v: ExcelJS.CellValue): string => {
  if (v === null || v === undefined) return '';
  if (v instanceof Date) return v.toISOString().slice(0, 10);
  if (typeof v === 'object') {
    if ('richText' in v) return v.richText.map((r) => r.text).join('').trim();
    if ('text' in v && typeof v.text === 'string') return v.text.trim();
    if ('result' in v) return cellText((v as { result?: ExcelJS.CellValue }).result ?? null);
    return '';
  }
  return String(v).trim();
};

export class FileProblem extends Error {
  constructor(message: string, readonly issues: { field: string; message: string }[]) { super(message); }
}

export const MAX_ROWS = 5_000;
export interface Sheet { header: string[]; rows: { row: number; cells: Record<string, string> }[] }

/** The header and rows of an uploaded file (first sheet of an XLSX; CSV with , or ;). Only the template's columns are accepted. */
export async function readSheet(bytes: Buffer, format: 'csv' | 'xlsx'): Promise<Sheet> {
  let table: string[][];
  if (format === 'xlsx') {
    const wb = new ExcelJS.Workbook();
    try {
      await wb.xlsx.load(bytes as unknown as ArrayBuffer);
    } catch (err) {
      throw new FileProblem(`not a readable XLSX file: ${(err as Error).message}`, [{ field: 'file', message: 'not a readable XLSX file' }]);
    }
    const ws = wb.worksheets[0];
    if (!ws) throw new FileProblem('the workbook has no sheet', [{ field: 'file', message: 'no sheet' }]);
    table = [];
    ws.eachRow({ includeEmpty: true }, (r, n) => {
      const values = r.values as ExcelJS.CellValue[];
      table[n - 1] = values.slice(1).map(cellText);
    });
    for (let i = 0; i < table.length; i++) table[i] ??= [];
  } else {
    try {
      table = parseCsv(bytes, { bom: true, delimiter: [',', ';'], relax_column_count: true, skip_empty_lines: false, trim: true }) as string[][];
    } catch (err) {
      throw new FileProblem(`not a readable CSV file: ${(err as Error).message}`, [{ field: 'file', message: (err as Error).message }]);
    }
  }
  const header = (table[0] ?? []).map((h) => h.trim().toLowerCase());
  if (header.length === 0 || header.every((h) => h === '')) throw new FileProblem('the first row must name the columns (download the template)', [{ field: 'header', message: 'empty' }]);
  const unknown = header.filter((h) => h !== '' && !COLUMN_NAMES.includes(h));
  if (unknown.length > 0) {
    const money = unknown.filter((h) => /grant|rate|eur|cents|amount|total/.test(h));
    throw new FileProblem(
      `unknown column${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}${money.length ? ' (the engine computes every grant from the project\'s rates: a file never sets one)' : ''}; nothing was imported`,
      unknown.map((h) => ({ field: h, message: money.includes(h) ? 'not accepted: the engine computes every euro' : 'not a column of the template' })),
    );
  }
  const dup = header.filter((h, i) => h !== '' && header.indexOf(h) !== i);
  if (dup.length > 0) throw new FileProblem(`column named twice: ${dup.join(', ')}`, dup.map((h) => ({ field: h, message: 'named twice' })));
  const missing = COLUMNS.filter((c) => c.required === 'always' && !header.includes(c.name)).map((c) => c.name);
  if (missing.length > 0) throw new FileProblem(`missing column${missing.length > 1 ? 's' : ''}: ${missing.join(', ')}`, missing.map((m) => ({ field: m, message: 'required column' })));
  const rows: Sheet['rows'] = [];
  for (let i = 1; i < table.length; i++) {
    const line = table[i]!;
    if (line.every((v) => (v ?? '').trim() === '')) continue;
    const cells: Record<string, string> = {};
    header.forEach((h, k) => { if (h) cells[h] = (line[k] ?? '').trim(); });
    rows.push({ row: i + 1, cells });
  }
  if (rows.length === 0) throw new FileProblem('the file has no rows under its header', [{ field: 'file', message: 'no rows' }]);
  if (rows.length > MAX_ROWS) throw new FileProblem(`the file has ${rows.length} rows: at most ${MAX_ROWS} per import`, [{ field: 'file', message: `at most ${MAX_ROWS} rows` }]);
  return { header, rows };
}

/** The documented template: the header row, and (XLSX) a second sheet describing each column, its format and its codes. */
export async function templateXlsx(): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  wb.creator = 'mobility-engine';
  const ws = wb.addWorksheet('applications');
  ws.addRow(COLUMN_NAMES);
  ws.getRow(1).font = { bold: true };
  ws.columns.forEach((c) => { c.width = 18; });
  const doc = wb.addWorksheet('columns');
  doc.addRow(['column', 'required', 'format', 'allowed codes', 'what it is']);
  doc.getRow(1).font = { bold: true };
  for (const c of COLUMNS) {
    const d = describeColumn(c);
    doc.addRow([c.name, c.required === 'always' ? 'yes' : c.required === 'never' ? 'no' : c.required, d.format, d.codes.join(', '), c.description]);
  }
  doc.columns.forEach((c, i) => { c.width = [26, 22, 26, 60, 80][i]; });
  return Buffer.from(await wb.xlsx.writeBuffer());
}

export const templateCsv = (): string => `${COLUMN_NAMES.join(',')}\r\n`;

/** The columns as the API documents them (the console's help and the README's table come from it). */
export const columnDocs = () => COLUMNS.map((c) => ({ column: c.name, required: c.required, ...describeColumn(c), description: c.description }));
