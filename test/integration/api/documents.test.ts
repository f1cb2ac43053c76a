import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_DOCUMENT_BYTES } from '../../../domain/documents';
import { createPool } from '../../../infra/db/pool';
import { kafkaFor } from '../../../infra/kafka/client';
import { TOPICS } from '../../../infra/kafka/topics';
import { mobility, registerProject, startMobility } from '../../../workflows/client';
import { testConfig, uniq } from '../../support/env';
import { erasmusLine, newProject, studyApplication } from '../workflow/fixtures';
import { timeSkipping } from '../workflow/harness';
import { http, seedTenancy, startApi } from './support';

/**
 * Documents and proofs through the HTTP API on the real stack (time-skipping Temporal, Kafka, Postgres, the
 * file store under the data directory): one mobility whose project requires the certificate of attendance
 * before it is recorded. An upload is stored by SHA-256 and recorded as DocumentAttached (same hash in the
 * workflow and on Kafka); the download gives the same bytes; a file that is not a PDF/PNG/JPEG by its bytes,
 * or is too large, is refused and nothing is stored; another tenant gets 404.
 */
const cfg = testConfig();
const pool = createPool(cfg);
let ts: Awaited<ReturnType<typeof timeSkipping>>;
let w: Awaited<ReturnType<Awaited<ReturnType<typeof timeSkipping>>['startWorker']>>;
let api: Awaited<ReturnType<typeof startApi>>;
let tn: Awaited<ReturnType<typeof seedTenancy>>;
const tokens = {} as Record<'io' | 'other' | 'neighbour', string>;
let id = '';
let app: ReturnType<typeof studyApplication>;

/** A small but real PDF (the bytes file-type recognises). */
const pdf = (text: string) => Buffer.from(`%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n% ${text}\ntrailer << /Root 1 0 R >>\n%%EOF\n`, 'latin1');
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const storedFiles = () => {
  try {
    return readdirSync(join(cfg.dataDir, 'documents'), { recursive: true }).filter((f) => /[0-9a-f]{64}$/.test(String(f))).length;
  } catch {
    return 0;
  }
};
const upload = (mobilityId: string, kind: string, body: Buffer, token: string, contentType = 'application/pdf') =>
  fetch(`${api.base}/api/mobilities/${mobilityId}/documents?kind=${kind}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': contentType }, body: new Uint8Array(body) });

/** DocumentAttached payloads of one mobility on the mobility-events topic. */
async function attachedOnKafka(mobilityId: string, expected: number) {
  const consumer = kafkaFor(cfg, 'test-reader').consumer({ groupId: `test-docs-${uniq()}` });
  const seen: { sha256: string; kind: string; actor: string }[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic: TOPICS.mobilityEvents.name, fromBeginning: true });
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  await consumer.run({
    eachMessage: async ({ message }) => {
      if (message.key?.toString() !== mobilityId) return;
      const v = JSON.parse(message.value!.toString()) as { type: string; payload: { sha256: string; kind: string; actor: string } };
      if (v.type === 'DocumentAttached') seen.push({ sha256: v.payload.sha256, kind: v.payload.kind, actor: v.payload.actor });
      if (seen.length >= expected) done();
    },
  });
  await Promise.race([finished, new Promise((r) => setTimeout(r, 30_000))]);
  await consumer.disconnect();
  return seen;
}

beforeAll(async () => {
  ts = await ts_();
  w = await ts.startWorker();
  tn = await seedTenancy(pool);
  api = await startApi(pool, ts.env.client, ts.taskQueue);
  const { login } = http(api.base);
  tokens.io = await login(tn.users.ioA1, tn.password(tn.users.ioA1));
  tokens.other = await login(tn.users.ioOut, tn.password(tn.users.ioOut));
  tokens.neighbour = await login(tn.users.ioA2, tn.password(tn.users.ioA2));

  const client = ts.env.client;
  const t0 = await ts.today();
  const p = newProject();
  id = p.mobilityId(1);
  await registerProject(client, ts.taskQueue, { projectId: p.projectId, institutionId: tn.id.a1, lines: erasmusLine(2_000_000, 4) });
  app = { ...studyApplication(id, p.projectId, t0, { policy: { requiredProofs: { RecordCertificateOfAttendance: ['certificate-of-attendance'] } } }), institutionId: tn.id.a1 };
  await startMobility(client, ts.taskQueue, app);
  const m = mobility(client, id);
  await m.act('select', { actor: 'staff.io-1' });
  await m.act('signAgreement', { actor: 'staff.io-1', participantSignedOn: t0, institutionSignedOn: t0 });
  await ts.sleepUntil(app.plan.startDate);
  await m.act('confirmDeparture', { actor: 'staff.io-1', actualStartDate: app.plan.startDate });
}, 120_000);
const ts_ = () => timeSkipping(cfg);

afterAll(async () => {
  await api?.close();
  await mobility(ts.env.client, id).handle.terminate('test done').catch(() => undefined);
  await w?.stop();
  await ts?.teardown();
  await pool.end();
});

describe('documents and proofs of a mobility', () => {
  it('a project that requires the certificate of attendance refuses it until the certificate is attached (409 proof-required, nothing recorded)', async () => {
    await ts.sleepUntil(app.plan.endDate, 12);
    const { call } = http(api.base);
    const r = await call('POST', `/api/mobilities/${id}/actions/recordCertificateOfAttendance`, { token: tokens.io, body: { actualStartDate: app.plan.startDate, actualEndDate: app.plan.endDate } });
    expect(r.status, JSON.stringify(r.body)).toBe(409);
    expect(r.body.code).toBe('proof-required');
    expect(r.body.message).toMatch(/certificate-of-attendance/);
    expect((await mobility(ts.env.client, id).state()).stage).toBe('departed');
  });

  it('an upload is stored by SHA-256 and recorded as DocumentAttached (the same hash in the workflow and on Kafka); the download gives the same bytes', async () => {
    const bytes = pdf(`certificate ${uniq()}`);
    const r = await upload(id, 'certificate-of-attendance', bytes, tokens.io, 'application/octet-stream');
    const body = await r.json() as { document: { documentId: string; sha256: string; byteSize: number; mediaType: string; attachedBy: string; downloadPath: string }; events: string[] };
    expect(r.status, JSON.stringify(body)).toBe(201);
    expect(body.document).toMatchObject({ sha256: sha(bytes), byteSize: bytes.length, mediaType: 'application/pdf', attachedBy: tn.users.ioA1 });
    expect(body.events).toEqual(['DocumentAttached']);
    expect(JSON.stringify(body)).not.toMatch(/filename|\.pdf"/);

    const state = await mobility(ts.env.client, id).state();
    expect(state.stage === 'none' ? [] : state.documents.map((d) => d.sha256)).toEqual([sha(bytes)]);
    expect(await attachedOnKafka(id, 1)).toEqual([{ sha256: sha(bytes), kind: 'certificate-of-attendance', actor: tn.users.ioA1 }]);

    const got = await fetch(api.base + body.document.downloadPath, { headers: { authorization: `Bearer ${tokens.io}` } });
    expect(got.status).toBe(200);
    expect(got.headers.get('content-type')).toBe('application/pdf');
    expect(got.headers.get('content-disposition')).toBe(`attachment; filename="${body.document.documentId}.pdf"`);
    expect(Buffer.from(await got.arrayBuffer()).equals(bytes)).toBe(true);

    // The same file again: the document already there, nothing appended.
    const again = await upload(id, 'certificate-of-attendance', bytes, tokens.io);
    expect(again.status).toBe(200);
    const listed = await http(api.base).call('GET', `/api/mobilities/${id}/documents`, { token: tokens.io });
    expect(listed.body.documents).toHaveLength(1);

    // ...and now the certificate is accepted: the required proof is there.
    const cert = await http(api.base).call('POST', `/api/mobilities/${id}/actions/recordCertificateOfAttendance`, { token: tokens.io, body: { actualStartDate: app.plan.startDate, actualEndDate: app.plan.endDate } });
    expect(cert.status, JSON.stringify(cert.body)).toBe(200);
    expect(cert.body.stage).toBe('attended');
  });

  it('a file that is not a PDF, PNG or JPEG by its bytes is refused (415), whatever its Content-Type; too large is 413 naming the limit; nothing is stored', async () => {
    const before = storedFiles();
    const html = await upload(id, 'transcript-of-records', Buffer.from('<html><body>not a pdf</body></html>'), tokens.io, 'application/pdf');
    expect(html.status).toBe(415);
    expect(((await html.json()) as { message: string }).message).toMatch(/not a PDF, PNG or JPEG by its content/);

    const big = Buffer.concat([pdf('big'), Buffer.alloc(MAX_DOCUMENT_BYTES)]);
    const tooBig = await upload(id, 'transcript-of-records', big, tokens.io);
    expect(tooBig.status).toBe(413);
    const b = (await tooBig.json()) as { message: string; limitBytes: number };
    expect(b.limitBytes).toBe(MAX_DOCUMENT_BYTES);
    expect(b.message).toMatch(/10485760 bytes \(10 MiB\)/);

    const json = await http(api.base).call('POST', `/api/mobilities/${id}/documents?kind=europass`, { token: tokens.io, body: { content: 'JVBERi0=' } });
    expect(json.status).toBe(400);
    const kind = await upload(id, 'passport-scan', pdf('kind'), tokens.io);
    expect(kind.status).toBe(400);
    expect(((await kind.json()) as { issues: { field: string }[] }).issues[0]!.field).toBe('kind');

    expect(storedFiles()).toBe(before);
    const s = await mobility(ts.env.client, id).state();
    expect(s.stage === 'none' ? -1 : s.documents.length).toBe(1);
  });

  it('another tenant gets 404 for the upload, the list and the download (as for an id that does not exist); nothing stored', async () => {
    const before = storedFiles();
    const list = await http(api.base).call('GET', `/api/mobilities/${id}/documents`, { token: tokens.io });
    const path = list.body.documents[0].downloadPath as string;
    for (const token of [tokens.other, tokens.neighbour]) {
      expect((await upload(id, 'europass', pdf(`foreign ${uniq()}`), token)).status).toBe(404);
      expect((await http(api.base).call('GET', `/api/mobilities/${id}/documents`, { token })).status).toBe(404);
      expect((await fetch(api.base + path, { headers: { authorization: `Bearer ${token}` } })).status).toBe(404);
    }
    expect((await fetch(api.base + path)).status).toBe(401);
    expect(storedFiles()).toBe(before);
  });
});
