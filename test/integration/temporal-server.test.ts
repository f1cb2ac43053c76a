import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ROOT, type Config } from '../../infra/config';
import { connectTemporal } from '../../infra/temporal';
import { SEARCH_ATTRIBUTES, temporalBinary } from '../../infra/stack/temporal';
import { goBinary } from '../../infra/stack/go';
import { installTemporalServer, templateForServerBinary, TEMPORAL_SERVER_VERSION, type TemporalServerKit } from '../../infra/stack/temporal-server';
import { mobility, projectBudget, registerProject, startMobility } from '../../workflows/client';
import { createMobilityWorker } from '../../workers/temporal-worker';
import { createPool } from '../../infra/db/pool';
import { eventually, testConfig, uniq } from '../support/env';
import { addContacts, erasmusLine, newProject, studyApplication, today } from './workflow/fixtures';

/**
 * The docker-compose topology's Temporal, run for real: the compose file's own setup scripts and server
 * environment, with the release's server and temporal-sql-tool built from the Go module proxy, on the local
 * stack's Postgres (databases of its own). The engine's worker then runs a mobility on it.
 */
const cfg = testConfig();
const sh = promisify(execFile);
type Svc = { environment?: Record<string, string>; entrypoint?: string[]; image?: string; volumes?: string[] };
const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8')) as { services: Record<string, Svc> };
/** The compose mounts infra/compose/temporal at /engine. */
const fromEngine = (p: string) => p.replace(/^\/engine\//, `${join(ROOT, 'infra', 'compose', 'temporal')}/`);
const script = (svc: Svc) => fromEngine(svc.entrypoint!.find((a) => a.endsWith('.sh'))!);

/**
 * Free ports below 32768: the server stores its membership ports in a smallint column, so the kernel's ephemeral
 * ports (listen on 0) will not do. A run of n consecutive ports from a random start, each tried.
 */
const freePorts = async (n: number): Promise<number[]> => {
  const tryListen = (port: number) => new Promise<ReturnType<typeof createServer> | null>((res) => {
    const s = createServer();
    s.once('error', () => res(null));
    s.listen(port, '0.0.0.0', () => res(s));
  });
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 12_000);
    const got = await Promise.all(Array.from({ length: n }, (_, i) => tryListen(base + i)));
    await Promise.all(got.map((s) => (s ? new Promise((r) => s.close(r)) : null)));
    if (got.every((s) => s !== null)) return got.map((_, i) => base + i);
  }
  throw new Error(`no ${n} free ports below 32768`);
};

const id = uniq().toLowerCase();
const db = { main: `temporal_${id}`, visibility: `temporal_visibility_${id}` };
const dir = mkdtempSync(join(tmpdir(), 'temporal-server-'));
let kit: TemporalServerKit;
let server: ChildProcess | undefined;
let address = '';
const admin = new pg.Client({ connectionString: cfg.postgres.adminUrl });
/** PATH with the release's temporal-sql-tool and the stack's temporal CLI, as the admin-tools image has them. */
const path = () => [dirname(kit.sqlTool), dirname(temporalBinary(cfg)), process.env.PATH].join(':');
/** A database of the local stack's Postgres, as its administrator. */
const dbUrl = (name: string) => cfg.postgres.adminUrl.replace(/\/postgres$/, `/${name}`);
const postgresEnv = () => ({ host: cfg.host, port: String(cfg.ports.postgres), user: new URL(cfg.postgres.url).username });

beforeAll(async () => {
  kit = installTemporalServer(cfg, console.log);
  await admin.connect();
}, 40 * 60_000);

afterAll(async () => {
  if (server && server.exitCode === null) {
    server.kill('SIGTERM');
    await new Promise((r) => server!.once('exit', r));
  }
  for (const name of Object.values(db)) await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined);
  await admin.end();
  rmSync(dir, { recursive: true, force: true });
});

describe("docker-compose's Temporal: a real server on its own PostgreSQL schema", () => {
  it('is the release the local stack runs: the dev server of the CLI embeds the same server', async () => {
    const { stdout } = await sh(goBinary()!, ['version', '-m', temporalBinary(cfg)]);
    expect(stdout).toMatch(new RegExp(`go\\.temporal\\.io/server\\s+${TEMPORAL_SERVER_VERSION.replace(/\./g, '\\.')}\\b`));
    expect(compose.services.temporal!.image).toBe(`temporalio/server:${TEMPORAL_SERVER_VERSION.slice(1)}`);
  });

  it("the schema job's script creates both databases at the release's schema, and runs again safely", { timeout: 300_000 }, async () => {
    const pgEnv = postgresEnv();
    const env = {
      ...process.env, ...compose.services['temporal-schema']!.environment,
      SQL_HOST: pgEnv.host, SQL_PORT: pgEnv.port, SQL_USER: pgEnv.user, SQL_PASSWORD: '',
      DBNAME: db.main, VISIBILITY_DBNAME: db.visibility, SCHEMA_DIR: kit.schemaDir, PATH: path(),
    };
    const first = await sh('/bin/sh', [script(compose.services['temporal-schema']!)], { env });
    expect(first.stdout).toContain(`database ${db.main} at the schema`);
    const versions = async () => Promise.all(Object.values(db).map(async (name) => {
      const c = new pg.Client({ connectionString: dbUrl(name) });
      await c.connect();
      const v = (await c.query<{ curr_version: string }>('SELECT curr_version FROM schema_version')).rows;
      await c.end();
      return v;
    }));
    const before = await versions();
    // Again (the job restarts, or the topology comes up a second time): the databases and their data stay.
    const again = await sh('/bin/sh', [script(compose.services['temporal-schema']!)], { env });
    expect(again.stdout).toContain(`database ${db.visibility} at the schema`);
    expect(await versions()).toEqual(before);
    for (const v of before) {
      expect(v).toHaveLength(1);
      expect(v[0]!.curr_version).toMatch(/^1\.\d+$/);
    }
  });

  it("the server starts from the compose's environment through the image's own config template; the namespace job registers the engine's search attributes, and runs again safely", { timeout: 300_000 }, async () => {
    const names = ['FRONTEND_GRPC_PORT', 'FRONTEND_HTTP_PORT', 'FRONTEND_MEMBERSHIP_PORT', 'HISTORY_GRPC_PORT', 'HISTORY_MEMBERSHIP_PORT', 'MATCHING_GRPC_PORT', 'MATCHING_MEMBERSHIP_PORT', 'WORKER_GRPC_PORT', 'WORKER_MEMBERSHIP_PORT', 'INTERNAL_FRONTEND_HTTP_PORT'];
    const ports = await freePorts(names.length);
    const pgEnv = postgresEnv();
    const svc = compose.services.temporal!;
    mkdirSync(join(dir, 'config'), { recursive: true });
    writeFileSync(join(dir, 'config', 'docker.yaml'), templateForServerBinary(readFileSync(kit.configTemplate, 'utf8')));
    const env = {
      ...process.env, ...svc.environment,
      POSTGRES_SEEDS: pgEnv.host, DB_PORT: pgEnv.port, POSTGRES_USER: pgEnv.user, POSTGRES_PWD: '', DBNAME: db.main, VISIBILITY_DBNAME: db.visibility,
      // 512 shards (the compose's) on this 2-core test machine only slow the start; the count is a setting of the database, not of the topology.
      NUM_HISTORY_SHARDS: '4',
      // The compose's BIND_ON_IP (0.0.0.0) is kept; the image's entrypoint then sets the broadcast address to the container's.
      TEMPORAL_BROADCAST_ADDRESS: '127.0.0.1',
      DYNAMIC_CONFIG_FILE_PATH: fromEngine(svc.environment!.DYNAMIC_CONFIG_FILE_PATH!),
      ...Object.fromEntries(names.map((n, i) => [n, String(ports[i])])),
    };
    address = `127.0.0.1:${ports[0]}`;
    const log: string[] = [];
    server = spawn(kit.server, ['--root', dir, '--config', 'config', '--env', 'docker', 'start'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    server.stdout!.on('data', (b: Buffer) => log.push(b.toString()));
    server.stderr!.on('data', (b: Buffer) => log.push(b.toString()));
    let exited = false;
    server.once('exit', () => (exited = true));
    await eventually(async () => exited || (await sh(temporalBinary(cfg), ['operator', 'cluster', 'health', '--address', address])).stdout.includes('SERVING'), 120_000, 'temporal-server serving');
    if (exited) throw new Error(`temporal-server exited ${server.exitCode}: ${log.join('').slice(-3000)}`);
    // It persists to its own databases, not SQLite.
    expect(log.join('')).not.toMatch(/sqlite/i);

    const nsSvc = compose.services['temporal-namespace']!;
    const nsEnv = { ...process.env, ...nsSvc.environment, TEMPORAL_ADDRESS: address, PATH: path() };
    const first = await sh('/bin/sh', [script(nsSvc)], { env: nsEnv });
    expect(first.stdout).toContain(`namespace ${nsSvc.environment!.NAMESPACE} ready`);
    const again = await sh('/bin/sh', [script(nsSvc)], { env: nsEnv });
    for (const name of Object.keys(SEARCH_ATTRIBUTES)) expect(again.stdout).toContain(`search attribute ${name} exists`);
    const listed = JSON.parse((await sh(temporalBinary(cfg), ['operator', 'search-attribute', 'list', '--address', address, '-n', nsSvc.environment!.NAMESPACE!, '-o', 'json'])).stdout) as unknown;
    for (const [name, type] of Object.entries(SEARCH_ATTRIBUTES)) expect(JSON.stringify(listed)).toMatch(new RegExp(`"${name}"[^}]*${type.toUpperCase()}|${type.toUpperCase()}[^{]*"${name}"`, 'i'));
  });

  it("the engine's worker runs a mobility on it: selected against the budget, agreed, found by its search attributes; the history is in the server's PostgreSQL", { timeout: 300_000 }, async () => {
    expect(address).not.toBe('');
    const on: Config = { ...cfg, temporal: { ...cfg.temporal, address, namespace: compose.services['temporal-namespace']!.environment!.NAMESPACE!, taskQueue: `compose-${id}` } };
    const pool = createPool(cfg);
    const client = await connectTemporal(on);
    const w = await createMobilityWorker(on);
    const running = w.worker.run();
    try {
      const { projectId, mobilityId } = newProject();
      await registerProject(client, on.temporal.taskQueue, { projectId, institutionId: 'F-PARIS-001', lines: erasmusLine(1_000_000, 5) });
      const app = studyApplication(mobilityId(1), projectId, today());
      await addContacts(pool, app.participantRef);
      await startMobility(client, on.temporal.taskQueue, app);
      const m = mobility(client, mobilityId(1));
      expect(await m.act('select', { actor: 'staff.io-1' })).toEqual({ stage: 'selected', events: ['ParticipantSelected'] });
      const estimated = (await m.grant()).estimated!.totalCents;
      expect((await projectBudget(client, projectId))?.lines[0]).toMatchObject({ reservedCents: estimated, reservedMobilities: 1 });
      await m.act('signAgreement', { actor: 'staff.io-1', participantSignedOn: today(), institutionSignedOn: today() });
      expect((await m.state()).stage).toBe('agreed');

      const found = await eventually(async () => {
        const out = (await sh(temporalBinary(cfg), ['workflow', 'list', '--address', address, '--namespace', on.temporal.namespace, '--query', `ProjectId="${projectId}" AND MobilityStage="agreed"`, '-o', 'json'])).stdout;
        return out.includes(mobilityId(1)) ? out : null;
      }, 30_000, 'the mobility in the visibility store');
      expect(found).toContain(mobilityId(1));

      const own = new pg.Client({ connectionString: dbUrl(db.main) });
      await own.connect();
      const rows = (await own.query<{ workflow_id: string }>('SELECT workflow_id FROM current_executions WHERE workflow_id = $1', [mobilityId(1)])).rows;
      await own.end();
      expect(rows).toHaveLength(1);
    } finally {
      w.worker.shutdown();
      await running;
      await w.close();
      await client.connection.close();
      await pool.end();
    }
  });
});
