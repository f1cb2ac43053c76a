/** Prepares a stack that something else started (e.g. docker compose): schema migrations and topics. */
import { loadConfig } from '../config';
import { migrate } from '../db/migrate';
import { ensureSigningKeys } from '../kafka/signing';
import { ensureTopics } from '../kafka/topics';

const cfg = loadConfig();
const applied = await migrate(cfg.postgres.url, console.log);
console.log(applied.length ? `applied ${applied.length} migration(s)` : 'schema up to date');
await ensureTopics(cfg);
console.log('topics ready');
// The worker signs events with this key and the projector verifies them (created once, mode 600).
console.log(`event signing key ${ensureSigningKeys(cfg)}`);
