import type { Client } from '@temporalio/client';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool } from '../../../infra/db/pool';
import { topicOffsets } from '../../../infra/kafka/consumer';
import { TOPICS } from '../../../infra/kafka/topics';
import { connectTemporal } from '../../../infra/temporal';
import { registerParticipant } from '../../../workers/api/participants';
import { testConfig, uniq } from '../../support/env';
import { http, seedTenancy, startApi } from './support';

/**
 * A generated corpus of hostile requests (issue 10, item 8) against every route of the OpenAPI
 * document, sent with a live session of a role that may use the route (an institution
 * coordinator: every action, application, project, dashboard and participant route).
 *
 * Each request carries at least one defect the API must refuse — chosen among those its OpenAPI
 * entry makes certain: a path id that breaks the id's pattern, a NUL or control character in a
 * param, query or body (value or field name), a query value outside its enum, pattern, range or
 * type, a body that is not an object, lacks a required field, gives one the wrong JSON type or adds
 * an unknown one (strict bodies), `__proto__` / `constructor.prototype`, bytes that are not UTF-8,
 * nesting too deep, a body over the size limit, an unsupported media type — and hostile noise
 * around it: SQL-looking and overlong strings, huge and negative numbers, 1e308 and 1e400, wrong
 * types, unknown fields, nested garbage, bad dates (9999-99-99), unicode oddities (RTL override,
 * zero-width and combining characters, emoji, BOM). When the defect is not in the path, the path
 * holds a well-formed id (a real participant's ref), so the body and query checks are reached.
 *
 * Every answer must be a 4xx that names a field (`issues[].field`) or says what is wrong
 * (`error` and `message`); none may be a 5xx. Afterwards nothing has changed: the row count of
 * every table, the set of workflows, the end of every topic.
 *
 * HOSTILE_RUNS sets the requests per route (default 150, under a minute); FC_SEED replays a failing run.
 */
const cfg = testConfig();
const pool = createPool(cfg);
const RUNS = Number(process.env.HOSTILE_RUNS ?? 150);
const SEED = process.env.FC_SEED ? Number(process.env.FC_SEED) : undefined;
let temporal: Client;
let api: Awaited<ReturnType<typeof startApi>>;
let token = '';
let participantRef = '';
let wellFormedMobility = '';

beforeAll(async () => {
  temporal = await connectTemporal(cfg);
  const tn = await seedTenancy(pool);
  api = await startApi(pool, temporal, cfg.temporal.taskQueue);
  token = await http(api.base).login(tn.users.ioA1, tn.password(tn.users.ioA1));
  participantRef = await registerParticipant(pool, {
    institutionId: tn.id.a1, givenName: 'Hostile', familyName: `Corpus${tn.t}`, email: `corpus.${tn.t.toLowerCase()}@example.org`,
    dateOfBirth: '2001-01-01', gender: 'undisclosed', nationality: 'FR',
  }, tn.users.ioA1);
  wellFormedMobility = `2024-1-FR01-KA131-HED-${uniq()}-MOB-00001`;
});
afterAll(async () => {
  await api?.close();
  await temporal?.connection.close();
  await pool.end();
});

// ---------- JSON with numbers JSON.stringify cannot write (1e400, 30-digit integers) ----------
class Raw {
  constructor(readonly text: string) {}
}
type J = string | number | boolean | null | Raw | J[] | { [k: string]: J };
function toJson(v: J): string {
  if (v instanceof Raw) return v.text;
  if (Array.isArray(v)) return `[${v.map(toJson).join(',')}]`;
  if (v !== null && typeof v === 'object') return `{${Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}:${toJson(x)}`).join(',')}}`;
  if (typeof v === 'number' && !Number.isFinite(v)) return 'null';
  return JSON.stringify(v);
}

// ---------- hostile values ----------
const SQLISH = ["' OR '1'='1", "'; DROP TABLE participants; --", "Robert'); DROP TABLE staff_users;--", '1; SELECT pg_sleep(10)', '$1', "') UNION SELECT password_hash FROM staff_users --", '%00', '\\x00'];
const ODD = ['\u202Eevil\u202C', 'zero\u200Bwidth', 'e\u0301', '\uFEFFbom', '😀'.repeat(20), 'ｆｕｌｌｗｉｄｔｈ', 'İstanbul', 'ß', '\u2028line\u2029', '<script>alert(1)</script>', '${7*7}', '{{7*7}}', '../../etc/passwd', 'null', 'undefined', 'NaN', 'Infinity', 'true', '', ' ', '__proto__', 'constructor', 'P-JeanDupont19900412'];
const DATES = ['9999-99-99', '2024-02-30', '0000-00-00', '2024-13-01', '1900-01-01', '0001-01-01', '99999-01-01', '2024-1-1', '20240101', '2024-01-01T00:00:00Z', '2999-12-31', '1970-01-01'];
const hostileString = fc.oneof(
  fc.constantFrom(...SQLISH, ...ODD, ...DATES),
  fc.string({ unit: 'grapheme', maxLength: 30 }),
  fc.integer({ min: 65, max: 20_000 }).map((n) => 'x'.repeat(n)),
);
const hostileNumber = fc.oneof(
  fc.constantFrom<J>(1e308, -1e308, -1, 0, -0, 0.001, 1.5, 2 ** 31, -(2 ** 31) - 1, Number.MAX_SAFE_INTEGER + 2, new Raw('1e400'), new Raw('-1e400'), new Raw('123456789012345678901234567890'), new Raw('1E+2'), new Raw('0.0000000000000000000001')),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
);
const hostileKey = fc.oneof(fc.constantFrom('isAdmin', 'role', 'actor', 'rates', 'totalCents', 'where', 'id', '$where', 'a.b', ''), fc.string({ maxLength: 12 }));
const garbage: fc.Arbitrary<J> = fc.letrec<{ v: J }>((tie) => ({
  v: fc.oneof({ depthSize: 'small', maxDepth: 3 }, hostileString, hostileNumber, fc.boolean(), fc.constant(null), fc.array(tie('v'), { maxLength: 4 }), fc.dictionary(hostileKey, tie('v'), { maxKeys: 4 })),
})).v;
const hostileValue: fc.Arbitrary<J> = fc.oneof(hostileString, hostileNumber, fc.boolean(), fc.constant(null), garbage);

/** Characters no text may hold (the query and path cannot carry lone surrogates: they have no UTF-8 form). */
const BAD_CHARS = ['\u0000', '\u0001', '\u0007', '\u0008', '\u000B', '\u001B', '\u001F', '\u007F', '\u0085', '\u009F'];
const withBadChar = (bad: readonly string[]) =>
  fc.tuple(hostileString.map((s) => Array.from(s).slice(0, 200)), fc.constantFrom(...bad), fc.nat()).map(([cps, c, i]) => {
    const at = i % (cps.length + 1); // between code points, never inside a surrogate pair
    return [...cps.slice(0, at), c, ...cps.slice(at)].join('');
  });
const badText = withBadChar([...BAD_CHARS, '\uD800', '\uDFFF', '\uFFFE']);
const badUrlText = withBadChar(BAD_CHARS);
/** A short field name holding a character no text may hold. */
const badName = (bad: readonly string[]) => fc.tuple(fc.string({ maxLength: 10 }), fc.constantFrom(...bad), fc.string({ maxLength: 10 })).map(([a, c, b]) => a + c + b);

// ---------- the OpenAPI document ----------
interface JsonSchema {
  type?: string | string[];
  enum?: unknown[];
  pattern?: string;
  minimum?: number;
  maximum?: number;
  maxLength?: number;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
}
interface Param { name: string; schema: JsonSchema }
interface Op { method: string; path: string; params: Param[]; query: Param[]; body: JsonSchema | null }
interface Req { violation: string; method: string; path: Record<string, string>; query: [string, string][]; body?: { text: string | Buffer; type: string } }

function operations(doc: { paths: Record<string, Record<string, { parameters?: { in: string; name: string; schema: JsonSchema }[]; requestBody?: { content: Record<string, { schema: JsonSchema }> } }>> }): Op[] {
  return Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => ({
      method: method.toUpperCase(), path,
      params: (op.parameters ?? []).filter((p) => p.in === 'path').map((p) => ({ name: p.name, schema: p.schema })),
      query: (op.parameters ?? []).filter((p) => p.in === 'query').map((p) => ({ name: p.name, schema: p.schema })),
      body: op.requestBody?.content['application/json']?.schema ?? null,
    })));
}

const typesOf = (s: JsonSchema): string[] => (Array.isArray(s.type) ? s.type : s.type ? [s.type] : []);
const jsonKind = (v: J): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : v instanceof Raw ? 'number' : typeof v === 'number' ? (Number.isInteger(v) ? 'integer' : 'number') : typeof v);
/** A value whose JSON type the schema does not allow (integer counts as number). */
const wrongTyped = (s: JsonSchema): fc.Arbitrary<J> => {
  const allowed = typesOf(s);
  return fc.oneof(hostileString, hostileNumber, fc.boolean(), fc.constant(null), fc.array(hostileValue, { maxLength: 3 }), fc.dictionary(hostileKey, hostileValue, { maxKeys: 3 }))
    .filter((v) => { const k = jsonKind(v); return !allowed.includes(k) && !(k === 'integer' && allowed.includes('number')); });
};
/** A query value the parameter's schema refuses, if the schema makes one certain. */
function badQueryValue(s: JsonSchema): fc.Arbitrary<string> | null {
  if (s.enum) return hostileString.filter((v) => !s.enum!.includes(v));
  if (s.pattern) { const re = new RegExp(s.pattern); return hostileString.filter((v) => !re.test(v) && !/[\u0000-\u001F\u007F-\u009F]/.test(v)); }
  const t = typesOf(s);
  if (t.includes('integer') || t.includes('number')) {
    return fc.constantFrom('abc', 'NaN', '1e400', '-1e400', "1' OR '1'='1", ...(t.includes('integer') ? ['1.5'] : []), ...(s.minimum !== undefined ? [String(s.minimum - 1)] : []), ...(s.maximum !== undefined && s.maximum < 1e9 ? [String(s.maximum + 1)] : []));
  }
  if (s.maxLength !== undefined) return fc.integer({ min: s.maxLength + 1, max: s.maxLength + 500 }).map((n) => 'q'.repeat(n));
  return null;
}

// ---------- requests ----------
function requests(op: Op): fc.Arbitrary<Req> {
  const hasBody = op.method !== 'GET';
  const props = Object.entries(op.body?.properties ?? {});
  const wellFormed = (p: Param) => (p.name === 'ref' ? participantRef : p.name === 'id' ? wellFormedMobility : 'x');
  const goodPath = Object.fromEntries(op.params.map((p) => [p.name, wellFormed(p)]));

  const queryNoise = fc.array(fc.tuple(fc.oneof(fc.constantFrom(...op.query.map((q) => q.name), 'unknown', 'where', '__proto__', 'constructor'), hostileKey),
    fc.oneof(hostileString, hostileNumber.map((n) => (n instanceof Raw ? n.text : String(n))))), { maxLength: 4 })
    .map((qs) => qs.map(([k, v]) => [k.replace(/[\u0000-\u001F\u007F-\u009F]/g, ''), String(v).slice(0, 500).replace(/[\u0000-\u001F\u007F-\u009F]/g, '')] as [string, string]));
  const bodyNoise: fc.Arbitrary<Record<string, J>> = fc.tuple(
    fc.record(Object.fromEntries(props.map(([k]) => [k, hostileValue])), { requiredKeys: [] }),
    fc.dictionary(hostileKey.filter((k) => k !== '__proto__'), hostileValue, { maxKeys: 3 }),
  ).map(([known, extra]) => ({ ...extra, ...(known as Record<string, J>) }));
  const jsonBody = (v: J) => ({ text: toJson(v), type: 'application/json' });
  /** Noise without a certain defect (for requests whose defect is elsewhere). */
  const cleanJson = (v: J) => ({ text: toJson(v).replace(/\\u00[01][0-9a-f]|\\u007f|\\ud[89a-f][0-9a-f]{2}|\\ufff[ef]/gi, ''), type: 'application/json' });

  const at = (violation: string, parts: fc.Arbitrary<Partial<Req>>): fc.Arbitrary<Req> =>
    fc.tuple(parts, queryNoise, bodyNoise, fc.boolean()).map(([p, q, b, sendBody]) => ({
      violation, method: op.method, path: p.path ?? goodPath, query: p.query ?? q,
      body: p.body ?? (hasBody && sendBody ? cleanJson(b) : undefined),
    }));

  const kinds: fc.Arbitrary<Req>[] = [
    // A NUL or control character in a query value or a query field name, on every route.
    at('text in the query', fc.tuple(fc.constantFrom(...op.query.map((q) => q.name), 'x'), badUrlText, queryNoise)
      .map(([k, bad, q]) => ({ query: [...q, [k, bad]] as [string, string][] }))),
    at('text in a query field name', fc.tuple(badName(BAD_CHARS), hostileString, queryNoise).map(([k, v, q]) => ({ query: [...q, [k, v.slice(0, 100).replace(/[\u0000-\u001F\u007F-\u009F]/g, '')]] as [string, string][] }))),
  ];
  for (const p of op.params) {
    kinds.push(at(`text in :${p.name}`, badUrlText.map((bad) => ({ path: { ...goodPath, [p.name]: bad } }))));
    if (p.schema.pattern) {
      const re = new RegExp(p.schema.pattern);
      const ids = fc.oneof(hostileString, fc.constantFrom("' OR '1'='1", '1;DROP TABLE x', '..', '../..', 'x'.repeat(150), '-MOB-00001', 'P-JEANDUPONT19', 'P-JeanDupont19900412', '2024-1-FR01-KA131-HED-000042-MOB-1', '__proto__', 'constructor', '%E2%80%AE', '😀'));
      // ('.' and '..' are left out: a URL client resolves a dot segment before sending, so that request would be for another route.)
      kinds.push(at(`malformed :${p.name}`, ids.filter((s) => s !== '' && !/^\.{1,2}$/.test(s) && !re.test(s) && !/[\u0000-\u001F\u007F-\u009F]/.test(s)).map((id) => ({ path: { ...goodPath, [p.name]: id } }))));
    }
  }
  for (const q of op.query) {
    const bad = badQueryValue(q.schema);
    if (bad) kinds.push(at(`bad query ${q.name}`, fc.tuple(bad, queryNoise).map(([v, noise]) => ({ query: [...noise.filter(([k]) => k !== q.name), [q.name, v]] as [string, string][] }))));
    kinds.push(at(`query ${q.name} given twice`, fc.tuple(hostileString, hostileString, queryNoise).map(([a, b, noise]) => ({
      query: [...noise.filter(([k]) => k !== q.name), [q.name, a.replace(/[\u0000-\u001F\u007F-\u009F]/g, '')], [q.name, b.replace(/[\u0000-\u001F\u007F-\u009F]/g, '')]] as [string, string][],
    }))));
  }
  if (hasBody) {
    const nested = (k: string, v: J, depth: number): Record<string, J> => ({ [k]: depth === 0 ? v : depth === 1 ? [v] : { deeper: [0, { v }] } });
    kinds.push(
      at('text in a body value', fc.tuple(bodyNoise, fc.constantFrom(...props.map(([k]) => k), 'note'), badText, fc.integer({ min: 0, max: 2 }))
        .map(([b, k, bad, d]) => ({ body: jsonBody({ ...b, ...nested(k, bad, d) }) }))),
      at('text in a body field name', fc.tuple(bodyNoise, badName([...BAD_CHARS, '\uD800', '\uDFFF', '\uFFFE']), hostileValue).map(([b, k, v]) => ({ body: jsonBody({ ...b, [k]: v }) }))),
      at('__proto__ or constructor.prototype', fc.tuple(bodyNoise, fc.constantFrom('{"__proto__":{"isAdmin":true}', '{"constructor":{"prototype":{"isAdmin":true}}', '{"a":{"__proto__":{"polluted":1}}'))
        .map(([b, head]) => { const rest = toJson(b).slice(1); return { body: { text: `${head}${rest === '}' ? '}' : `,${rest}`}`, type: 'application/json' } }; })),
      at('bytes that are not UTF-8', fc.tuple(bodyNoise, fc.constantFrom([0xff], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0xf8, 0x88, 0x80, 0x80, 0x80]))
        .map(([b, bytes]) => ({ body: { text: Buffer.concat([Buffer.from(`{"note":"x`), Buffer.from(bytes), Buffer.from(`y",${toJson(b).slice(1)}`.replace(/,}$/, '}'))]), type: 'application/json' } }))),
      at('nested too deep', fc.integer({ min: 33, max: 20_000 }).map((n) => ({ body: { text: `{"plan":${'['.repeat(n)}${']'.repeat(n)}}`, type: 'application/json' } }))),
      at('body over the size limit', fc.constant({ body: { text: `{"note":"${'a'.repeat(300 * 1024)}"}`, type: 'application/json' } })),
      at('text/plain with a control character', badUrlText.map((s) => ({ body: { text: s, type: 'text/plain' } }))),
      at('unsupported media type', fc.constant({ body: { text: 'username=admin&password=x', type: 'application/x-www-form-urlencoded' } })),
    );
  }
  if (op.body) {
    const body = op.body;
    if (typesOf(body).includes('object')) {
      kinds.push(at('a body that is not an object', fc.oneof(hostileString, hostileNumber, fc.constant(null), fc.boolean(), fc.array(hostileValue, { maxLength: 3 })).map((v) => ({ body: jsonBody(v) }))));
    }
    for (const r of body.required ?? []) {
      kinds.push(at(`missing ${r}`, bodyNoise.map((b) => { const { [r]: _gone, ...rest } = b; return { body: jsonBody(rest) }; })));
      const s = body.properties?.[r];
      if (s && typesOf(s).length > 0) kinds.push(at(`${r} of the wrong type`, fc.tuple(bodyNoise, wrongTyped(s)).map(([b, v]) => ({ body: jsonBody({ ...b, [r]: v }) }))));
    }
    if (body.additionalProperties === false) {
      const known = new Set(Object.keys(body.properties ?? {}));
      kinds.push(at('an unknown field', fc.tuple(bodyNoise, hostileKey.filter((k) => !known.has(k) && k !== '__proto__' && !/[\u0000-\u001F\u007F-\u009F\uD800-\uDFFF]/.test(k)), hostileValue)
        .map(([b, k, v]) => ({ body: jsonBody({ ...b, [k]: v }) }))));
    }
  }
  return fc.oneof(...kinds);
}

function url(op: Op, r: Req): string {
  const path = op.path.replace(/\{([A-Za-z0-9_]+)\}/g, (_, name: string) => encodeURIComponent(r.path[name] ?? 'x'));
  const qs = r.query.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
  return qs ? `${path}?${qs}` : path;
}

async function send(op: Op, r: Req) {
  const res = await fetch(api.base + url(op, r), {
    method: r.method,
    headers: { authorization: `Bearer ${token}`, ...(r.body ? { 'content-type': r.body.type } : {}) },
    body: typeof r.body?.text === 'string' ? r.body.text : r.body ? new Uint8Array(r.body.text) : undefined,
    signal: AbortSignal.timeout(15_000),
  });
  const text = await res.text();
  let json: { error?: unknown; message?: unknown; issues?: { field?: unknown }[] } | null = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: res.status, text, json };
}

const namesAField = (j: { error?: unknown; message?: unknown; issues?: { field?: unknown }[] } | null) =>
  !!j && ((Array.isArray(j.issues) && j.issues.length > 0 && j.issues.every((i) => typeof i.field === 'string' && i.field.length > 0)) || (typeof j.error === 'string' && typeof j.message === 'string' && j.message.length > 0));

/** Row counts of every table, the workflows there are, and the end of every topic. */
async function snapshot() {
  const { rows: tables } = await pool.query<{ t: string }>(
    `SELECT quote_ident(table_schema) || '.' || quote_ident(table_name) AS t FROM information_schema.tables
      WHERE table_schema NOT IN ('pg_catalog', 'information_schema') AND table_type = 'BASE TABLE' ORDER BY 1`);
  const rows: Record<string, number> = {};
  for (const { t } of tables) rows[t] = (await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${t}`)).rows[0]!.n;
  const workflows: string[] = [];
  for await (const w of temporal.workflow.list()) workflows.push(`${w.workflowId}/${w.runId}`);
  const topics = Object.fromEntries(await topicOffsets(cfg, Object.values(TOPICS).map((t) => t.name), 'admin'));
  return { rows, workflows: workflows.sort(), topics };
}

describe('hostile corpus against every route of the OpenAPI document', () => {
  it('answers every hostile body, query and id with a 4xx naming the field, never a 5xx, and changes nothing', async () => {
    const doc = (await http(api.base).call('GET', '/api/openapi.json')).body;
    const ops = operations(doc);
    expect(ops.length).toBeGreaterThan(30);
    const before = await snapshot();
    const seen: Record<string, Record<number, number>> = {};
    const started = Date.now();
    for (const op of ops) {
      await fc.assert(
        fc.asyncProperty(requests(op), async (r) => {
          const res = await send(op, r);
          (seen[r.violation] ??= {})[res.status] = (seen[r.violation]![res.status] ?? 0) + 1;
          const shown = `${r.method} ${url(op, r).slice(0, 300)} [${r.violation}] body ${String(r.body?.text ?? '').slice(0, 300)} → ${res.status} ${res.text.slice(0, 400)}`;
          expect(res.status, shown).toBeGreaterThanOrEqual(400);
          expect(res.status, shown).toBeLessThan(500);
          expect(namesAField(res.json), shown).toBe(true);
        }),
        { numRuns: RUNS, ...(SEED !== undefined ? { seed: SEED } : {}) },
      );
    }
    await new Promise((r) => setTimeout(r, 1_500)); // visibility of anything started would have caught up
    const after = await snapshot();
    expect(after.rows).toEqual(before.rows);
    expect(after.workflows).toEqual(before.workflows);
    expect(after.topics).toEqual(before.topics);
    // Every kind of defect was tried, each somewhere.
    expect(Object.keys(seen).length).toBeGreaterThan(20);
    console.info(`hostile corpus: ${ops.length} operations × ${RUNS} requests in ${Math.round((Date.now() - started) / 1000)} s`);
    if (process.env.HOSTILE_SHOW) console.info(JSON.stringify(seen, null, 1));
  }, 300_000);
});
