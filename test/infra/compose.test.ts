import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ENV_KEYS, loadConfig, ROOT } from '../../infra/config';
import { services } from '../../infra/stack';
import { KAFKA_VERSION } from '../../infra/stack/kafka';
import { ensureComposePlugin } from '../../infra/stack/compose-plugin';
import { SEARCH_ATTRIBUTES, TEMPORAL_CLI_VERSION } from '../../infra/stack/temporal';

/**
 * docker-compose.yml stays in step with the local stack: same services, same pinned versions,
 * same search attributes, only environment variables the engine knows. Where the compose plugin
 * exists (docker CLI + plugin, e.g. the one cached under ~/.cache/mobility-engine/docker), the
 * file is also validated by `docker compose config`.
 */
const file = join(ROOT, 'docker-compose.yml');
const compose = parse(readFileSync(file, 'utf8')) as { services: Record<string, { image?: string; build?: string; command?: string | string[]; environment?: Record<string, string>; restart?: string }> };
const cfg = loadConfig({ ME_PROFILE: 'dev' });

describe('docker-compose.yml', () => {
  it('runs every service of the local stack, the engine processes and a slot for the API', () => {
    const local = services(cfg).map((s) => s.name);
    expect(local.length).toBeGreaterThan(0);
    for (const name of [...local, 'worker', 'projector', 'api', 'migrate']) expect(Object.keys(compose.services)).toContain(name);
  });

  it('restarts what dies, as npm start does: every service and engine process, and the migration until it succeeds', () => {
    for (const name of [...services(cfg).map((s) => s.name), 'worker', 'projector', 'api']) expect(compose.services[name]!.restart, name).toBe('unless-stopped');
    expect(compose.services.migrate!.restart).toBe('on-failure');
  });

  it('pins the same versions as the local stack', () => {
    expect(compose.services.temporal!.image).toBe(`temporalio/temporal:${TEMPORAL_CLI_VERSION.replace(/^v/, '')}`);
    expect(compose.services.kafka!.image).toBe(`apache/kafka:${KAFKA_VERSION}`);
    expect(compose.services.postgres!.image).toMatch(/^postgres:15/);
  });

  it('registers the same search attributes as the local Temporal server', () => {
    const cmd = String(compose.services.temporal!.command);
    for (const [k, t] of Object.entries(SEARCH_ATTRIBUTES)) expect(cmd).toContain(`--search-attribute ${k}=${t}`);
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
