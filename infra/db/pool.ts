import pg from 'pg';
import type { Config } from '../config';
import type { Logger } from '../log';

// Postgres bigint/numeric sums come back as strings; cents always fit in a JS safe integer.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

export interface PoolOptions {
  /** Where connection errors are reported (default: standard error, one line). */
  log?: Pick<Logger, 'warn'>;
  /** Give up connecting after this long (ms), so a caller facing a dead server fails fast. */
  connectionTimeoutMillis?: number;
}

/**
 * A pg Pool that survives a Postgres restart: a connection the server terminates (idle in the pool
 * or checked out between two queries) emits 'error', which pg would otherwise raise as an
 * uncaught exception and kill the process. Here it is logged and the connection discarded;
 * the query that was running fails and its caller retries, the next checkout reconnects.
 */
export function createPool(cfg: Config, max = 10, opts: PoolOptions = {}): pg.Pool {
  const pool = new pg.Pool({ connectionString: cfg.postgres.url, max, connectionTimeoutMillis: opts.connectionTimeoutMillis ?? 5_000 });
  const report = (err: Error) => {
    if (opts.log) opts.log.warn({ err: err.message, code: (err as { code?: string }).code }, 'postgres connection lost');
    else process.stderr.write(`postgres connection lost: ${err.message}\n`);
  };
  pool.on('error', report);
  pool.on('connect', (client) => client.on('error', report));
  return pool;
}

/** Postgres SQLSTATE classes that mean "the server or the connection is not there right now". */
const TRANSIENT_CLASSES = new Set(['08', '53', '57', '58', '40', '55']);

/**
 * True when a pg error is about the connection or the server's availability (retry later), not
 * about the statement or its data. Errors without an SQLSTATE (socket closed, connect timeout,
 * ECONNREFUSED) are connection errors.
 */
export function isTransientDbError(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  if (typeof code !== 'string' || !/^[0-9A-Z]{5}$/.test(code)) {
    const msg = err instanceof Error ? err.message : String(err);
    return typeof code === 'string' || /connect|terminat|timeout|closed|ECONN|EPIPE|socket|Client has encountered a connection error/i.test(msg);
  }
  return TRANSIENT_CLASSES.has(code.slice(0, 2));
}

/** A server error about the data of the statement itself (invalid text, a violated constraint): retrying never helps. */
export function isDataDbError(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && (code.startsWith('22') || code.startsWith('23'));
}
