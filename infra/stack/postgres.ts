import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config';
import { pidAlive, readPid, run, StackError, which } from './proc';
import type { Service } from './service';

/**
 * Debian's PostgreSQL, a private cluster started by the project on its own port.
 * initdb and postgres refuse to run as root: as root, the cluster belongs to the `postgres`
 * user and every command runs through runuser. Its directory must be reachable by that user,
 * so when the clone sits below a private directory (e.g. mktemp -d, mode 700) the cluster
 * lives under /var/tmp instead, tagged by this data directory.
 */
function pgBinDir(): string | null {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return null;
  const versions = readdirSync(base).filter((v) => existsSync(join(base, v, 'bin', 'pg_ctl'))).sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(base, versions[0], 'bin') : null;
}

const isRoot = () => process.getuid?.() === 0;

function asOwner(cmd: string, args: string[], timeout = 60_000) {
  return isRoot() ? run('runuser', ['-u', 'postgres', '--', cmd, ...args], { timeout }) : run(cmd, args, { timeout });
}

function clusterDir(cfg: Config): string {
  const inTree = join(cfg.dataDir, 'postgres');
  if (!isRoot()) return inTree;
  mkdirSync(cfg.dataDir, { recursive: true });
  // Can the postgres user reach the data directory through every parent?
  const reach = run('runuser', ['-u', 'postgres', '--', 'test', '-x', cfg.dataDir]);
  return reach.ok ? inTree : join('/var/tmp', 'mobility-engine', cfg.instanceTag, 'postgres');
}

export function postgresService(cfg: Config): Service {
  const dir = clusterDir(cfg);
  const pgdata = join(dir, 'data');
  const logFile = join(dir, 'server.log');
  const bin = (name: string) => join(pgBinDir() ?? '/usr/lib/postgresql/15/bin', name);
  return {
    name: 'postgres',
    ports: [cfg.ports.postgres],
    logFile,
    dataDir: dir,
    startTimeoutMs: 30_000,
    async install(log) {
      if (pgBinDir()) return;
      if (!isRoot() || !which('apt-get')) throw new StackError('postgres', 'PostgreSQL server binaries not found in /usr/lib/postgresql', 'install them: sudo apt-get install -y postgresql');
      log('postgres: installing Debian postgresql (first run only)…');
      const u = run('apt-get', ['update', '-q'], { timeout: 5 * 60_000 });
      const r = run('apt-get', ['install', '-y', '-q', 'postgresql'], { timeout: 10 * 60_000, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
      if (!r.ok || !pgBinDir()) throw new StackError('postgres', `apt-get install postgresql failed:\n${u.out.slice(-500)}${r.out.slice(-1500)}`, 'install postgresql by hand and rerun');
    },
    // The postmaster's pid is the first line of postmaster.pid (what pg_ctl status checks, without a process per call).
    running: () => {
      const pid = readPid(join(pgdata, 'postmaster.pid'));
      return pid !== null && pidAlive(pid);
    },
    async start() {
      if (isRoot() && !which('runuser')) throw new StackError('postgres', 'running as root but runuser is missing', 'install util-linux or run as a normal user');
      if (!existsSync(join(pgdata, 'PG_VERSION'))) {
        mkdirSync(dir, { recursive: true });
        if (isRoot()) run('chown', ['-R', 'postgres:postgres', dir]);
        const init = asOwner(bin('initdb'), ['-D', pgdata, '-U', cfg.postgres.user, '--auth=trust', '-E', 'UTF8', '--locale=C.UTF-8']);
        if (!init.ok) throw new StackError('postgres', `initdb failed:\n${init.out.slice(-1500)}`, `check that the postgres user can write ${dir}`);
      }
      const opts = `-p ${cfg.ports.postgres} -k ${dir} -c listen_addresses=${cfg.host} -c fsync=on -c max_connections=200`;
      const r = asOwner(bin('pg_ctl'), ['-D', pgdata, '-l', logFile, '-w', '-t', '30', '-o', opts, 'start']);
      if (!r.ok) throw new StackError('postgres', `pg_ctl start failed:\n${r.out.slice(-1000)}`, `read ${logFile}`);
    },
    async healthy() {
      const { default: pg } = await import('pg');
      const c = new pg.Client({ connectionString: cfg.postgres.adminUrl, connectionTimeoutMillis: 2_000 });
      try {
        await c.connect();
        const has = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [cfg.postgres.database]);
        if (has.rowCount === 0) await c.query(`CREATE DATABASE ${cfg.postgres.database}`);
        return true;
      } finally {
        await c.end().catch(() => undefined);
      }
    },
    async stop() {
      if (existsSync(join(pgdata, 'postmaster.pid'))) asOwner(bin('pg_ctl'), ['-D', pgdata, '-m', 'fast', '-w', 'stop']);
    },
    endpoints: () => [`${cfg.postgres.url}`, `psql "${cfg.postgres.url}"`, `cluster ${pgdata}`],
  };
}
