import { spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig, ROOT } from '../../infra/config';
import { stackStatus } from '../../infra/stack';
import { uniq } from '../support/env';

/**
 * A failed start names its cause and fix, exits non-zero and leaves no half-started stack.
 * Each case runs the real `stack:up` in a subprocess on a stack of its own (own ports, own data dir).
 */
const tsx = join(ROOT, 'node_modules', '.bin', 'tsx');
const servers: Server[] = [];
const dataDirs: string[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
  for (const d of dataDirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function isolatedEnv(offset: number) {
  const dir = join(ROOT, '.data', `failure-${uniq()}`);
  dataDirs.push(dir);
  return { ...process.env, ME_PROFILE: 'test', ME_PORT_OFFSET: String(offset), ME_DATA_DIR: dir };
}

const occupy = (port: number) =>
  new Promise<Server>((resolve) => {
    const s = createServer().listen(port, '127.0.0.1', () => resolve(s));
    servers.push(s);
  });

const stackCli = (env: NodeJS.ProcessEnv, action: string) => spawnSync(tsx, [join(ROOT, 'infra/cli/stack.ts'), action], { env, encoding: 'utf8', timeout: 120_000 });

describe('stack start failures', () => {
  it('refuses a taken port with the cause and the fix, exits non-zero and starts nothing', async () => {
    const env = isolatedEnv(600);
    const cfg = loadConfig(env);
    await occupy(cfg.ports.postgres);
    const r = stackCli(env, 'up');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`port 127.0.0.1:${cfg.ports.postgres} is already taken`);
    expect(r.stderr).toMatch(/fix: .*ME_\*_PORT/);
    expect((await stackStatus(cfg)).filter((s) => s.running).map((s) => s.name)).toEqual([]);
  });

  it('stops the services it had started when one of them fails to start', async () => {
    // Kafka's storage belongs to another node: the broker refuses to start while the others come up.
    const env = isolatedEnv(700);
    const cfg = loadConfig(env);
    mkdirSync(join(cfg.dataDir, 'kafka', 'data'), { recursive: true });
    writeFileSync(join(cfg.dataDir, 'kafka', 'data', 'meta.properties'), 'version=1\nnode.id=42\ncluster.id=AAAAAAAAAAAAAAAAAAAAAA\ndirectory.id=AAAAAAAAAAAAAAAAAAAAAA\n');
    const r = stackCli(env, 'up');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/kafka: (exited during start-up|did not become healthy)/);
    expect(r.stderr).toContain('fix:');
    expect((await stackStatus(cfg)).filter((s) => s.running).map((s) => s.name)).toEqual([]);
  });

  it('makes the test suite fail loudly when a service cannot start', async () => {
    const env = isolatedEnv(800);
    const cfg = loadConfig(env);
    await occupy(cfg.ports.kafka);
    const r = spawnSync(join(ROOT, 'node_modules/.bin/vitest'), ['run', '--project', 'integration', 'test/integration/kafka-compat.test.ts'], { cwd: ROOT, env, encoding: 'utf8', timeout: 120_000 });
    expect(r.status).not.toBe(0);
    expect(`${r.stdout}${r.stderr}`).toContain(`port 127.0.0.1:${cfg.ports.kafka} is already taken`);
  });
});
