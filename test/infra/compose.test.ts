import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ENV_KEYS, loadConfig, ROOT } from '../../infra/config';
import { services } from '../../infra/stack';
import { KAFKA_VERSION } from '../../infra/stack/kafka';
import { ensureComposePlugin } from '../../infra/stack/compose-plugin';
import { SEARCH_ATTRIBUTES } from '../../infra/stack/temporal';
import { TEMPORAL_ADMIN_TOOLS_TAG, TEMPORAL_SERVER_VERSION } from '../../infra/stack/temporal-server';

/**
 * docker-compose.yml stays in step with the local stack: same services, same pinned versions,
 * same search attributes, only environment variables the engine knows. Where the compose plugin
 * exists (docker CLI + plugin, e.g. the one cached under ~/.cache/mobility-engine/docker), the
 * file is also validated by `docker compose config`.
 */
const file = join(ROOT, 'docker-compose.yml');
type Svc = { image?: string; build?: string; command?: string | string[]; entrypoint?: string[]; environment?: Record<string, string>; restart?: string; volumes?: string[]; depends_on?: Record<string, { condition: string }> };
const compose = parse(readFileSync(file, 'utf8')) as { services: Record<string, Svc> };
const cfg = loadConfig({ ME_PROFILE: 'dev' });

describe('docker-compose.yml', () => {
  it('runs every service of the local stack, the engine processes and a slot for the API', () => {
    const local = services(cfg).map((s) => s.name);
    expect(local.length).toBeGreaterThan(0);
    for (const name of [...local, 'worker', 'projector', 'api', 'migrate']) expect(Object.keys(compose.services)).toContain(name);
  });

  it('restarts what dies, as npm start does: every service and engine process, and the migration until it succeeds', () => {
    for (const name of [...services(cfg).map((s) => s.name), 'worker', 'projector', 'api']) expect(compose.services[name]!.restart, name).toBe('unless-stopped');
    for (const job of ['migrate', 'temporal-schema', 'temporal-namespace']) expect(compose.services[job]!.restart, job).toBe('on-failure');
  });

  it("runs a real Temporal server, not the dev server, on a PostgreSQL of its own set up by the release's schema tool; the engine waits for its namespace", () => {
    const temporal = compose.services.temporal!;
    expect(temporal.image).toMatch(/^temporalio\/server:/);
    expect(JSON.stringify(temporal)).not.toMatch(/start-dev|sqlite/);
    expect(temporal.environment).toMatchObject({ DB: 'postgres12', POSTGRES_SEEDS: 'temporal-db' });
    // Its own database service and databases, apart from the engine's projections.
    expect(compose.services['temporal-db']!.image).toMatch(/^postgres:15/);
    const schema = compose.services['temporal-schema']!.environment!;
    expect(schema).toMatchObject({ SQL_HOST: 'temporal-db', DBNAME: temporal.environment!.DBNAME, VISIBILITY_DBNAME: temporal.environment!.VISIBILITY_DBNAME });
    expect(temporal.environment!.DBNAME).not.toBe(new URL(compose.services.worker!.environment!.ME_DATABASE_URL!).pathname.slice(1));
    expect(temporal.depends_on!['temporal-schema']!.condition).toBe('service_completed_successfully');
    // The scripts the jobs run are this repository's (mounted at /engine), and exist.
    for (const job of ['temporal-schema', 'temporal-namespace']) {
      const svc = compose.services[job]!;
      expect(svc.volumes).toContain('./infra/compose/temporal:/engine:ro');
      const entry = svc.entrypoint!.find((a) => a.endsWith('.sh'))!.replace(/^\/engine\//, 'infra/compose/temporal/');
      expect(existsSync(join(ROOT, entry)), entry).toBe(true);
    }
    expect(existsSync(join(ROOT, temporal.environment!.DYNAMIC_CONFIG_FILE_PATH!.replace(/^\/engine\//, 'infra/compose/temporal/')))).toBe(true);
    for (const name of ['worker', 'api']) expect(compose.services[name]!.depends_on!['temporal-namespace']!.condition, name).toBe('service_completed_successfully');
  });

  it('pins the same versions as the local stack', () => {
    // The server release the local stack's CLI embeds (checked against the built CLI in test/integration/temporal-server.test.ts).
    expect(compose.services.temporal!.image).toBe(`temporalio/server:${TEMPORAL_SERVER_VERSION.replace(/^v/, '')}`);
    for (const job of ['temporal-schema', 'temporal-namespace']) expect(compose.services[job]!.image).toBe(`temporalio/admin-tools:${TEMPORAL_ADMIN_TOOLS_TAG}`);
    expect(compose.services.kafka!.image).toBe(`apache/kafka:${KAFKA_VERSION}`);
    expect(compose.services.postgres!.image).toMatch(/^postgres:15/);
  });

  it('registers the same search attributes as the local Temporal server, in the namespace the engine uses', () => {
    const ns = compose.services['temporal-namespace']!.environment!;
    expect(ns.SEARCH_ATTRIBUTES!.split(/\s+/).sort()).toEqual(Object.entries(SEARCH_ATTRIBUTES).map(([k, t]) => `${k}=${t}`).sort());
    expect(ns.NAMESPACE).toBe(compose.services.worker!.environment!.ME_TEMPORAL_NAMESPACE);
  });

  it('gives the engine processes only environment variables the engine reads, and entry points that exist', () => {
    for (const name of ['worker', 'projector', 'migrate']) {
      const svc = compose.services[name]!;
      for (const key of Object.keys(svc.environment ?? {})) expect(ENV_KEYS).toContain(key);
      const entry = (svc.command as string[]).find((a) => a.endsWith('.ts'))!;
      expect(existsSync(join(ROOT, entry)), `${name}: ${entry}`).toBe(true);
      // The environment parses into a config that points at the compose services.
      const c = loadConfig(svc.environment as NodeJS.ProcessEnv);
      expect(c.kafka.brokers).toEqual(['kafka:9092']);
      expect(c.temporal.address).toBe('temporal:7233');
    }
  });

  it('is valid for docker compose (the plugin is built from the Go proxy where Go and the docker CLI exist)', { timeout: 20 * 60_000 }, () => {
    const dockerConfig = ensureComposePlugin(cfg, console.log);
    if (dockerConfig === null) {
      // No Go toolchain or docker CLI on this machine: the structural checks above stand alone.
      expect(spawnSync('docker', ['compose', 'version']).status).not.toBe(0);
      return;
    }
    const env = { ...process.env, DOCKER_CONFIG: dockerConfig };
    const r = spawnSync('docker', ['compose', '-f', file, 'config', '--quiet'], { env, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    // And the validator really validates: a broken file is refused with its reason.
    const bad = spawnSync('docker', ['compose', '-f', '-', 'config', '--quiet'], { env, encoding: 'utf8', input: 'services:\n  x:\n    image: 1\n    ports: 7\n' });
    expect(bad.status).not.toBe(0);
  });
});
