/**
 * `npm run organisation -- init --network ID --name NAME --director USERNAME --director-name NAME --email ADDRESS`
 *
 * The first step of an installation that is not the demo: a network and its director. Everything
 * after it happens in the console's Organisation page, within each person's scope (the director
 * creates consortia and institutions, their coordinators sites and staff). Networks have no manager
 * above them, so this operator command creates them: the network, then the director's account with
 * the network-director role and no password, then the invitation e-mail with its single-use,
 * expiring set-password link (the same one the console sends). Each change is in the organisation
 * audit under the actor `operator:cli`.
 *
 * Idempotent: the same network and director again change nothing and send a fresh invitation while
 * the account has no password yet (the older link stops working). Bad input exits 2 naming the field.
 */
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { StaffRef } from '../domain/mobility/codes';
import { OrgId } from '../domain/ids';
import { loadConfig } from '../infra/config';
import { createPool } from '../infra/db/pool';
import { loadDirectory, saveDirectory } from '../workers/api/directory';
import { issueInvitation, sendInvitation, smtpMailer, type Mailer } from '../workers/api/invitations';
import type pg from 'pg';

export const InitNetwork = z.strictObject({
  network: OrgId.describe('the network id, e.g. NET-FR-AURA'),
  name: z.string().trim().min(1).max(200),
  director: StaffRef.describe("the director's username"),
  directorName: z.string().trim().min(1).max(200),
  email: z.email().max(254),
});
export type InitNetwork = z.infer<typeof InitNetwork>;

const ACTOR = 'operator:cli';

/** Creates the network and its director (or finds them as they are) and sends the invitation. */
export async function initNetwork(pool: pg.Pool, input: InitNetwork, mailer: Mailer = smtpMailer()): Promise<{ created: boolean; invited: boolean; expiresAt: string | null }> {
  const dir = await loadDirectory(pool);
  const existing = dir.data.networks.find((n) => n.id === input.network);
  if (existing && existing.name !== input.name) throw new Error(`name: network ${input.network} exists as "${existing.name}"`);
  const user = (await pool.query<{ password_hash: string | null }>('SELECT password_hash FROM staff_users WHERE username = $1', [input.director])).rows[0];
  const grants = (await pool.query<{ role: string; scope_kind: string; scope_id: string }>('SELECT role, scope_kind, scope_id FROM staff_role_grants WHERE username = $1', [input.director])).rows;
  if (user && !grants.some((g) => g.role === 'network-director' && g.scope_kind === 'network' && g.scope_id === input.network)) {
    throw new Error(`director: the username ${input.director} is taken by another account`);
  }
  if (!existing) await saveDirectory(pool, { networks: [{ id: input.network, name: input.name }], consortia: [], institutions: [], sites: [] });
  const tx = await pool.connect();
  let issued: Awaited<ReturnType<typeof issueInvitation>> | null = null;
  try {
    await tx.query('BEGIN');
    const audit = (action: string, subject: string | null, after: unknown) =>
      tx.query('INSERT INTO organisation_audit (actor, action, unit_kind, unit_id, subject, before, after) VALUES ($1, $2, $3, $4, $5, NULL, $6)',
        [ACTOR, action, 'network', input.network, subject, JSON.stringify(after)]);
    if (!existing) await audit('create-network', null, { id: input.network, name: input.name });
    if (!user) {
      await tx.query('INSERT INTO staff_users (username, display_name, password_hash, email, created_by) VALUES ($1, $2, NULL, $3, $4)', [input.director, input.directorName, input.email, ACTOR]);
      await tx.query('INSERT INTO staff_role_grants (username, role, scope_kind, scope_id) VALUES ($1, $2, $3, $4)', [input.director, 'network-director', 'network', input.network]);
      await audit('staff-created', input.director, { username: input.director, displayName: input.directorName, grants: [{ role: 'network-director', scope: { kind: 'network', id: input.network } }] });
    }
    // An account that has chosen its password is not invited again.
    if (!user?.password_hash) issued = await issueInvitation(tx, input.director, ACTOR);
    await tx.query('COMMIT');
  } catch (err) {
    await tx.query('ROLLBACK');
    throw err;
  } finally {
    tx.release();
  }
  const invited = issued ? await sendInvitation(pool, mailer, { ...issued, username: input.director, displayName: input.directorName, email: input.email, invitedBy: 'The operator of this installation' }) : false;
  return { created: !existing || !user, invited, expiresAt: issued?.expiresAt ?? null };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { network: { type: 'string' }, name: { type: 'string' }, director: { type: 'string' }, 'director-name': { type: 'string' }, email: { type: 'string' } },
  });
  if (positionals[0] !== 'init') {
    console.error('usage: npm run organisation -- init --network ID --name NAME --director USERNAME --director-name NAME --email ADDRESS');
    process.exit(2);
  }
  const parsed = InitNetwork.safeParse({ network: values.network, name: values.name, director: values.director, directorName: values['director-name'], email: values.email });
  if (!parsed.success) {
    for (const i of parsed.error.issues) console.error(`${i.path.join('.') || '(input)'}: ${i.message}`);
    process.exit(2);
  }
  const cfg = loadConfig();
  const pool = createPool(cfg);
  try {
    const r = await initNetwork(pool, parsed.data);
    console.log(`network ${parsed.data.network}: ${r.created ? 'created' : 'already there'}; director ${parsed.data.director}: ${r.invited ? `invitation sent to ${parsed.data.email} (link valid until ${r.expiresAt})` : 'has a password (no invitation)'}`);
    console.log(`next: the director signs in at ${cfg.console.url} and creates consortia and institutions on the Organisation page`);
  } catch (err) {
    console.error((err as Error).message);
    process.exitCode = 2;
  } finally {
    await pool.end();
  }
}
