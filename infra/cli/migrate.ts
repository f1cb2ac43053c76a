/** Prepares a stack that something else started (e.g. docker compose): schema migrations and topics. */
import { loadConfig } from '../config';
import { migrate } from '../db/migrate';
import { ensureTopics } from '../kafka/topics';

const cfg = loadConfig();
const applied = await migrate(cfg.postgres.url, console.log);
console.log(applied.length ? `applied ${applied.length} migration(s)` : 'schema up to date');
await ensureTopics(cfg);
console.log('topics ready');
