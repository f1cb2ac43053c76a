import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config';
import { goBinary, goEnv } from './go';
import { run, StackError } from './proc';

/**
 * The compose topology's Temporal (docker-compose.yml): a real server on its own PostgreSQL schema, of the same
 * release as the dev server the local stack runs (the CLI v1.5.1 embeds server 1.29.1). The images are pinned to
 * these; the integration test builds the same release's server and temporal-sql-tool from the Go module proxy and
 * runs the compose's own setup scripts and server environment on the local stack's Postgres.
 */
export const TEMPORAL_SERVER_VERSION = 'v1.29.1';
/** temporalio/admin-tools of the same release (temporal-sql-tool and the temporal CLI). */
export const TEMPORAL_ADMIN_TOOLS_TAG = '1.29.1-tctl-1.18.4-cli-1.5.0';

export interface TemporalServerKit {
  /** temporal-server */
  server: string;
  /** temporal-sql-tool */
  sqlTool: string;
  /** The release's PostgreSQL schemas (temporal/, visibility/), as /etc/temporal/schema/postgresql/v12 in the images. */
  schemaDir: string;
  /** The release's docker/config_template.yaml, which the server image renders from its environment. */
  configTemplate: string;
}

/** Builds temporal-server and temporal-sql-tool once (cached under the cache directory, beside the CLI's build cache). */
export function installTemporalServer(cfg: Config, log: (l: string) => void): TemporalServerKit {
  const bin = join(cfg.cacheDir, 'temporal-server', TEMPORAL_SERVER_VERSION);
  const src = join(cfg.cacheDir, 'go', 'mod', 'go.temporal.io', `server@${TEMPORAL_SERVER_VERSION}`);
  const kit = { server: join(bin, 'temporal-server'), sqlTool: join(bin, 'temporal-sql-tool'), schemaDir: join(src, 'schema', 'postgresql', 'v12'), configTemplate: join(src, 'docker', 'config_template.yaml') };
  if (Object.values(kit).every((p) => existsSync(p))) return kit;
  const go = goBinary();
  if (!go) throw new StackError('temporal-server', 'Go is not installed', 'install Go (https://go.dev/dl)');
  log(`temporal-server: building the Temporal server ${TEMPORAL_SERVER_VERSION} and its temporal-sql-tool with go install (first run only, a few minutes)…`);
  mkdirSync(bin, { recursive: true });
  const r = run(go, ['install', `go.temporal.io/server/cmd/server@${TEMPORAL_SERVER_VERSION}`, `go.temporal.io/server/cmd/tools/sql@${TEMPORAL_SERVER_VERSION}`], { env: goEnv(cfg, bin), timeout: 30 * 60_000 });
  if (!r.ok) throw new StackError('temporal-server', `go install failed:\n${r.out.slice(-2000)}`, 'check network access to the Go module proxy (GOPROXY) and rerun');
  // go install names the binaries after their packages (server, sql); the images call them temporal-server and temporal-sql-tool.
  run('mv', [join(bin, 'server'), kit.server]);
  run('mv', [join(bin, 'sql'), kit.sqlTool]);
  for (const p of Object.values(kit)) if (!existsSync(p)) throw new StackError('temporal-server', `${p} is missing after the build`, 'remove the cache directory and rerun');
  return kit;
}

/**
 * The server image renders its config template with dockerize (`.Env.NAME`, `default VALUE FALLBACK`); the server
 * binary renders a file marked `enable-template` itself, with sprig (`env "NAME"`, `default FALLBACK VALUE`). The
 * same template, rewritten for the binary, so the compose's environment is read as the image would read it.
 */
export function templateForServerBinary(dockerTemplate: string): string {
  const rewritten = dockerTemplate
    // A template call's two arguments: an environment variable, a $variable or a string (never the word "default" of the YAML).
    .replace(/\bdefault[ \t]+(\.Env\.\w+|\$\w+|"[^"]*")[ \t]+(\.Env\.\w+|\$\w+|"[^"]*")/g, 'default $2 $1')
    .replace(/\.Env\.([A-Za-z0-9_]+)/g, '(env "$1")');
  return `# enable-template\n${rewritten}`;
}
