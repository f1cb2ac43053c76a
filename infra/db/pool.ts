import pg from 'pg';
import type { Config } from '../config';

// Postgres bigint/numeric sums come back as strings; cents always fit in a JS safe integer.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

export const createPool = (cfg: Config, max = 10): pg.Pool => new pg.Pool({ connectionString: cfg.postgres.url, max });
