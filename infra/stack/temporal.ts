import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config';
import { goBinary, goEnv } from './go';
import { run, runAsync, runningPid, spawnServer, StackError, stopPid } from './proc';
import type { Service } from './service';

/** The official Temporal CLI, built from the Go module proxy (v1.9.1 does not build there). */
export const TEMPORAL_CLI_VERSION = 'v1.5.1';

/** Search attributes the mobility workflows set, registered at server start. */
export const SEARCH_ATTRIBUTES = {
  MobilityStage: 'Keyword',
  ProjectId: 'Keyword',
  InstitutionId: 'Keyword',
  ConsortiumId: 'Keyword',
  NextDeadline: 'Datetime',
} as const;

export function temporalBinary(cfg: Config): string {
  return join(cfg.cacheDir, 'temporal-cli', TEMPORAL_CLI_VERSION, 'temporal');
}

export async function installTemporalCli(cfg: Config, log: (l: string) => void): Promise<string> {
  const bin = temporalBinary(cfg);
  if (existsSync(bin)) return bin;
  const go = goBinary();
  if (!go) throw new StackError('temporal', 'the Temporal CLI is not built yet and Go is not installed', 'install Go (https://go.dev/dl) or put a temporal binary at ' + bin);
  log(`temporal: building the Temporal CLI ${TEMPORAL_CLI_VERSION} with go install (first run only, ~3 min)…`);
  mkdirSync(join(cfg.cacheDir, 'temporal-cli', TEMPORAL_CLI_VERSION), { recursive: true });
  const r = run(go, ['install', `github.com/temporalio/cli/cmd/temporal@${TEMPORAL_CLI_VERSION}`], {
    env: goEnv(cfg, join(cfg.cacheDir, 'temporal-cli', TEMPORAL_CLI_VERSION)),
    timeout: 20 * 60_000,
  });
  if (!r.ok || !existsSync(bin)) throw new StackError('temporal', `go install failed:\n${r.out.slice(-2000)}`, 'check network access to the Go module proxy (GOPROXY) and rerun');
  return bin;
}

export function temporalService(cfg: Config): Service {
  const dir = join(cfg.dataDir, 'temporal');
  const pidFile = join(dir, 'temporal.pid');
  const logFile = join(dir, 'temporal.log');
  const bin = temporalBinary(cfg);
  return {
    name: 'temporal',
    ports: [cfg.ports.temporal, cfg.ports.temporalUi],
    logFile,
    dataDir: dir,
    startTimeoutMs: 30_000,
    async install(log) {
      await installTemporalCli(cfg, log);
    },
    running: () => runningPid(pidFile) !== null,
    async start() {
      mkdirSync(dir, { recursive: true });
      const sa = Object.entries(SEARCH_ATTRIBUTES).flatMap(([k, t]) => ['--search-attribute', `${k}=${t}`]);
      spawnServer(
        bin,
        [
          'server', 'start-dev',
          '--ip', cfg.host,
          '--port', String(cfg.ports.temporal),
          '--ui-port', String(cfg.ports.temporalUi),
          '--db-filename', join(dir, 'temporal.db'),
          '--namespace', cfg.temporal.namespace,
          '--log-level', 'warn',
          '--sqlite-pragma', 'journal_mode=wal',
          '--sqlite-pragma', 'synchronous=normal',
          ...sa,
        ],
        { logFile, pidFile },
      );
    },
    async healthy() {
      const r = await runAsync(bin, ['operator', 'cluster', 'health', '--address', cfg.temporal.address], { timeout: 5_000 });
      return r.ok && r.out.includes('SERVING');
    },
    async stop() {
      await stopPid(pidFile);
    },
    endpoints: () => [`gRPC ${cfg.temporal.address} (namespace ${cfg.temporal.namespace})`, `web UI ${cfg.temporal.uiUrl}`, `CLI ${bin}`],
  };
}
