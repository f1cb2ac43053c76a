import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { ROOT } from '../config';

export const MIGRATIONS_DIR = join(ROOT, 'infra', 'migrations');

/**
 * Versioned, re-runnable migrations: infra/migrations/NNN_name.sql applied in order, each in its
 * own transaction, recorded with its checksum. A changed applied migration is refused.
 * An advisory lock serialises concurrent runners.
 */
export async function migrate(url: string, log: (l: string) => void = () => undefined): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const applied: string[] = [];
  try {
    await client.query('SELECT pg_advisory_lock(724961)');
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version text PRIMARY KEY, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const done = new Map((await client.query<{ version: string; checksum: string }>('SELECT version, checksum FROM schema_migrations')).rows.map((r) => [r.version, r.checksum]));
    const files = readdirSync(MIGRATIONS_DIR).filter((f) => /^\d{3}_.+\.sql$/.test(f)).sort();
    for (const file of files) {
      const version = file.replace(/\.sql$/, '');
      const sql = readFileSync(join(MIGRATIONS_DIR, file), 'utf8');
      const sum = createHash('sha256').update(sql).digest('hex');
      const prior = done.get(version);
      if (prior !== undefined) {
        if (prior !== sum) throw new Error(`migration ${file} was changed after it was applied; add a new migration instead`);
        continue;
      }
      await client.query('BEGIN');
      try {
        await client.query(sql);
        await client.query('INSERT INTO schema_migrations (version, checksum) VALUES ($1, $2)', [version, sum]);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK');
        throw new Error(`migration ${file} failed: ${(err as Error).message}`);
      }
      applied.push(version);
      log(`postgres: applied migration ${version}`);
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock(724961)').catch(() => undefined);
    await client.end();
  }
  return applied;
}
