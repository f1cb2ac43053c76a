import ExcelJS from 'exceljs';
import type { Config } from '../../infra/config';
import { createPool } from '../../infra/db/pool';
import { connectTemporal } from '../../infra/temporal';
import { buildApp } from '../../workers/api/app';
import { DEMO_ACCOUNTS, seedDemoTenancy } from '../../workers/api/demo';
import { COLUMN_NAMES } from '../../workers/api/import-columns';
import { KA131_TERMS } from '../integration/api/support';
import { figure, type Figure, freshTemporal, pool as inParallel, say, sleep, startWorker } from './lib';

/**
 * Bulk import (issue 13): N applications (default 2,000) in one XLSX through POST /api/projects/:id/imports, as a
 * staff member would, until the job says done (every row checked, its participant registered, its workflow
 * started). Baseline in the same run: the same N applications sent one by one to the single-submission routes
 * (POST /api/participants, then POST /api/mobilities), 8 in flight. Each side on a fresh Temporal server with
 * the engine's worker running as its own process, so one side's workflows never load the other's.
 */
const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const INSTITUTION = 'F-LYON-003';
const CONSORTIUM = 'CONS-AURA-DEMO';
const addDays = (d: string, n: number) => new Date(Date.parse(`${d}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);

type Row = Record<string, string | number>;
const rowsFor = (tag: string, n: number): Row[] => {
  const start = addDays(new Date().toISOString().slice(0, 10), 40);
  const countries = ['DE', 'ES', 'IT', 'PL', 'SE', 'PT'];
  return Array.from({ length: n }, (_, i) => ({
    application_ref: `${tag}-${i}`, institution_id: INSTITUTION, given_name: 'Camille', family_name: `Bench ${tag} ${i}`, email: `${tag.toLowerCase()}.${i}@student.example.org`,
    date_of_birth: '2003-05-17', gender: i % 2 ? 'female' : 'male', nationality: 'FR', activity: 'HE-SMS', funder_line_id: 'erasmus',
    start_date: start, end_date: addDays(start, 120 + (i % 60)), receiving_country: countries[i % countries.length]!, sending_country: 'FR', host_org_id: 'D-BERLIN-01', distance_km: 500 + (i % 1500),
    green_travel: i % 5 === 0 ? 'yes' : 'no', fewer_opportunities: 'no',
  }));
};

async function xlsx(rows: Row[]): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('applications');
  ws.addRow(COLUMN_NAMES);
  for (const r of rows) ws.addRow(COLUMN_NAMES.map((c) => r[c] ?? null));
  return Buffer.from(await wb.xlsx.writeBuffer());
}

/** The single submission's bodies for a row: the participant for the registry, then the application with its ref. */
const singleBodies = (projectId: string, r: Row) => ({
  participant: { institutionId: INSTITUTION, givenName: r.given_name, familyName: r.family_name, email: r.email, dateOfBirth: r.date_of_birth, gender: r.gender, nationality: r.nationality },
  application: (participantRef: string) => ({
    projectId, institutionId: INSTITUTION, participantRef, activity: r.activity, funderLineId: r.funder_line_id,
    plan: { startDate: r.start_date, endDate: r.end_date, receivingCountry: r.receiving_country, sendingCountry: r.sending_country, hostOrgId: r.host_org_id, distanceKm: r.distance_km, greenTravel: r.green_travel === 'yes', fewerOpportunities: false },
  }),
});

export async function importBench(cfg: Config, n: number): Promise<{ figures: Figure[]; details: Record<string, unknown> }> {
  const db = createPool(cfg, 10);
  await seedDemoTenancy(db);
  const password = (u: string) => DEMO_ACCOUNTS.find((a) => a.username === u)!.password;
  const tag = Date.now().toString(36).toUpperCase();
  const details: Record<string, unknown> = { rows: n };

  /** One side: a fresh Temporal server, the worker process on its own queue, the API in this process. */
  const side = async <T>(name: string, run: (base: string, token: string, projectId: string) => Promise<T>): Promise<T> => {
    await freshTemporal(cfg);
    const queue = `bench-import-${name}-${tag}`;
    const worker = await startWorker(cfg, queue);
    const temporal = await connectTemporal(cfg);
    const { app } = await buildApp({ pool: db, temporal, taskQueue: queue });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    try {
      const login = async (u: string) => ((await (await fetch(`${base}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: u, password: password(u) }) })).json()) as { token: string }).token;
      const projectId = `2024-1-FR01-KA131-HED-B${name.toUpperCase()}${tag}`;
      const reg = await fetch(`${base}/api/projects`, {
        method: 'POST', headers: { authorization: `Bearer ${await login('coordinator')}`, 'content-type': 'application/json' },
        body: JSON.stringify({ projectId, institutionId: INSTITUTION, consortiumId: CONSORTIUM, lines: [{ lineId: 'erasmus', funder: 'Erasmus+ KA131', allocatedCents: 2_000_000_000, allocatedMobilities: n * 2 }], terms: KA131_TERMS }),
      });
      if (reg.status !== 200) throw new Error(`project registration: ${reg.status} ${await reg.text()}`);
      return await run(base, await login('lyon'), projectId);
    } finally {
      await app.close();
      await temporal.connection.close();
      await worker.stop();
    }
  };

  // The engine: one file, one job.
  const bulk = await side('bulk', async (base, token, projectId) => {
    const file = await xlsx(rowsFor(`IMP${tag}`, n));
    const t0 = performance.now();
    const post = await fetch(`${base}/api/projects/${projectId}/imports?fileName=bench.xlsx`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': XLSX }, body: file as unknown as BodyInit });
    if (post.status !== 202) throw new Error(`import: ${post.status} ${await post.text()}`);
    const { importId } = (await post.json()) as { importId: string };
    let job: { status: string; done: number; total: number; started: number; refused: number; error: string | null };
    let last = -1;
    for (;;) {
      job = (await (await fetch(`${base}/api/imports/${importId}`, { headers: { authorization: `Bearer ${token}` } })).json()) as typeof job;
      const tenth = Math.floor((job.done / job.total) * 10);
      if (tenth !== last) say(`  import: ${job.done}/${job.total} rows (${((performance.now() - t0) / 1000).toFixed(1)} s)`), (last = tenth);
      if (job.status !== 'running') break;
      await sleep(250);
    }
    const seconds = (performance.now() - t0) / 1000;
    if (job.status !== 'done' || job.started !== n) throw new Error(`import ended ${job.status}: ${job.started} started, ${job.refused} refused ${job.error ?? ''}`);
    return { seconds, bytes: file.length };
  });
  say(`  bulk import: ${n} rows (${(bulk.bytes / 1024).toFixed(0)} KiB XLSX) in ${bulk.seconds.toFixed(1)} s`);

  // The baseline: the same rows through the single-submission routes, 8 in flight.
  const single = await side('single', async (base, token, projectId) => {
    const rows = rowsFor(`ONE${tag}`, n);
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const t0 = performance.now();
    let done = 0;
    await inParallel(n, 8, async (i) => {
      const b = singleBodies(projectId, rows[i]!);
      const p = await fetch(`${base}/api/participants`, { method: 'POST', headers, body: JSON.stringify(b.participant) });
      if (p.status !== 201) throw new Error(`participant: ${p.status} ${await p.text()}`);
      const { participantRef } = (await p.json()) as { participantRef: string };
      // The client numbers the mobility, so a retry after a 503 (Temporal too slow on a busy machine) cannot start it twice: 409 = it exists.
      const body = JSON.stringify({ ...b.application(participantRef), mobilityId: `${projectId}-MOB-${String(i + 1).padStart(5, '0')}` });
      for (let attempt = 1; ; attempt++) {
        const m = await fetch(`${base}/api/mobilities`, { method: 'POST', headers, body });
        if (m.status === 201 || (m.status === 409 && attempt > 1)) break;
        if (m.status !== 503 || attempt >= 5) throw new Error(`application: ${m.status} ${await m.text()}`);
        await sleep(1000 * attempt);
      }
      if (++done % (n / 10) === 0) say(`  one by one: ${done}/${n} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
    });
    return { seconds: (performance.now() - t0) / 1000 };
  });
  say(`  one by one: ${n} applications in ${single.seconds.toFixed(1)} s`);
  details.bulkSeconds = +bulk.seconds.toFixed(2);
  details.singleSeconds = +single.seconds.toFixed(2);
  details.fileBytes = bulk.bytes;
  await db.end();
  return {
    figures: [
      figure({
        id: 'import-rows', figure: `bulk import: ${n.toLocaleString('en')} rows of one XLSX checked, registered and started, rows/s`, unit: 'rows/s',
        engineRuns: [n / bulk.seconds], baselineName: 'the same applications one by one (POST /api/participants + POST /api/mobilities, 8 in flight)', baselineRuns: [n / single.seconds], higherIsBetter: true,
        note: `${n.toLocaleString('en')} rows imported in ${bulk.seconds.toFixed(1)} s (target: well under 60 s); one by one ${single.seconds.toFixed(1)} s`,
      }),
      figure({ id: 'import-seconds', figure: `bulk import: ${n.toLocaleString('en')} rows, seconds until the job is done`, unit: 's', engineRuns: [bulk.seconds], baselineName: 'one by one', baselineRuns: [single.seconds], higherIsBetter: false }),
    ],
    details,
  };
}
