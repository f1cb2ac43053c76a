import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config';
import { goBinary, goEnv } from './go';
import { run, StackError, which } from './proc';

/**
 * The docker compose CLI plugin, built from the Go module proxy (no Docker engine is needed to
 * validate a compose file). Cached under ~/.cache/mobility-engine/docker; use it with
 * DOCKER_CONFIG=<that directory> docker compose … . v2.40.3 builds with the local Go toolchain.
 */
export const COMPOSE_VERSION = 'v2.40.3';

export const composeDockerConfig = (cfg: Config) => join(cfg.cacheDir, 'docker');

/** Path of the DOCKER_CONFIG directory holding the plugin, or null where it cannot be had. */
export function ensureComposePlugin(cfg: Config, log: (l: string) => void = () => undefined): string | null {
  const dir = composeDockerConfig(cfg);
  const plugin = join(dir, 'cli-plugins', 'docker-compose');
  if (existsSync(plugin)) return dir;
  const go = goBinary();
  if (!go || !which('docker')) return null;
  log(`building the docker compose plugin ${COMPOSE_VERSION} (first run only, ~2 min)…`);
  const env = goEnv(cfg);
  const dl = run(go, ['mod', 'download', '-json', `github.com/docker/compose/v2@${COMPOSE_VERSION}`], { env, timeout: 10 * 60_000 });
  if (!dl.ok) throw new StackError('compose', `go mod download failed:\n${dl.out.slice(-1500)}`, 'check access to the Go module proxy');
  const srcDir = (JSON.parse(dl.stdout) as { Dir: string }).Dir;
  mkdirSync(join(dir, 'cli-plugins'), { recursive: true });
  const b = run(go, ['build', '-o', plugin, './cmd'], { cwd: srcDir, env, timeout: 15 * 60_000 });
  if (!b.ok) throw new StackError('compose', `go build of the compose plugin failed:\n${b.out.slice(-1500)}`, 'check the Go toolchain version');
  return dir;
}
