import type pg from 'pg';
import { z } from 'zod';
import { DirectoryData, Principal, RoleGrant, TenantDirectory } from '../../domain/tenancy';
import { StaffRef } from '../../domain/mobility/codes';
import { hashPassword } from './passwords';

/**
 * The tenancy directory and staff accounts in Postgres (migration 300), loaded into the domain's
 * TenantDirectory, which validates them: a broken directory refuses every request (fails closed).
 */
export async function loadDirectory(db: pg.Pool | pg.PoolClient): Promise<TenantDirectory> {
  const { rows } = await db.query<{ data: unknown }>(`
    SELECT json_build_object(
      'networks', coalesce((SELECT json_agg(json_build_object('id', id, 'name', name) ORDER BY id) FROM tenancy_networks), '[]'),
      'institutions', coalesce((SELECT json_agg(json_strip_nulls(json_build_object('id', id, 'networkId', network_id, 'name', name, 'erasmusCode', erasmus_code, 'oid', oid)) ORDER BY id) FROM tenancy_institutions), '[]'),
      'sites', coalesce((SELECT json_agg(json_build_object('id', id, 'institutionId', institution_id, 'name', name) ORDER BY id) FROM tenancy_sites), '[]'),
      'consortia', coalesce((SELECT json_agg(json_build_object('id', c.id, 'networkId', c.network_id, 'name', c.name,
          'members', coalesce((SELECT json_agg(json_build_object('institutionId', m.institution_id, 'functions', to_json(m.functions)) ORDER BY m.institution_id)
                                 FROM tenancy_consortium_members m WHERE m.consortium_id = c.id), '[]')) ORDER BY c.id)
        FROM tenancy_consortia c), '[]')
    ) AS data`);
  return TenantDirectory.from(rows[0]!.data);
}

/**
 * Adds a self-contained fragment of directory data (validated on its own by the domain, then
 * together with what is stored) in one transaction. Existing ids are left as they are.
 */
export async function saveDirectory(pool: pg.Pool, fragment: z.input<typeof DirectoryData>): Promise<void> {
  const data = DirectoryData.parse(fragment);
  const tx = await pool.connect();
  try {
    await tx.query('BEGIN');
    for (const n of data.networks) await tx.query('INSERT INTO tenancy_networks (id, name) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING', [n.id, n.name]);
    for (const i of data.institutions)
      await tx.query('INSERT INTO tenancy_institutions (id, network_id, name, erasmus_code, oid) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING', [i.id, i.networkId, i.name, i.erasmusCode ?? null, i.oid ?? null]);
    for (const c of data.consortia) {
      await tx.query('INSERT INTO tenancy_consortia (id, network_id, name) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING', [c.id, c.networkId, c.name]);
      for (const m of c.members)
        await tx.query('INSERT INTO tenancy_consortium_members (consortium_id, institution_id, functions) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [c.id, m.institutionId, m.functions]);
    }
    for (const s of data.sites)
      await tx.query('INSERT INTO tenancy_sites (id, institution_id, name) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING', [s.id, s.institutionId, s.name]);
    await loadDirectory(tx); // the whole directory must still be valid, or nothing is written
    await tx.query('COMMIT');
  } catch (err) {
    await tx.query('ROLLBACK');
    throw err;
  } finally {
    tx.release();
  }
}

export const NewStaffUser = z.strictObject({
  username: StaffRef,
  displayName: z.string().min(1).max(200),
  password: z.string().min(8).max(200),
  roles: z.array(RoleGrant),
});
export type NewStaffUser = z.infer<typeof NewStaffUser>;

/** Creates (or replaces the password and grants of) a staff account; every grant is checked against the directory. */
export async function saveStaffUser(pool: pg.Pool, raw: NewStaffUser): Promise<void> {
  const user = NewStaffUser.parse(raw);
  const dir = await loadDirectory(pool);
  for (const g of user.roles) {
    const check = dir.checkGrant(g);
    if (!check.valid) throw new Error(`staff ${user.username}: ${check.reason}`);
  }
  const hash = await hashPassword(user.password);
  const tx = await pool.connect();
  try {
    await tx.query('BEGIN');
    await tx.query(
      `INSERT INTO staff_users (username, display_name, password_hash) VALUES ($1, $2, $3)
       ON CONFLICT (username) DO UPDATE SET display_name = excluded.display_name, password_hash = excluded.password_hash, disabled = false`,
      [user.username, user.displayName, hash],
    );
    await tx.query('DELETE FROM staff_role_grants WHERE username = $1', [user.username]);
    for (const g of user.roles)
      await tx.query('INSERT INTO staff_role_grants (username, role, scope_kind, scope_id) VALUES ($1, $2, $3, $4)', [user.username, g.role, g.scope.kind, g.scope.id]);
    await tx.query('COMMIT');
  } catch (err) {
    await tx.query('ROLLBACK');
    throw err;
  } finally {
    tx.release();
  }
}

/**
 * The password policy of staff accounts set through an invitation: 12 to 200 characters, not made of
 * the username. (Accounts seeded by the demo and the tests keep NewStaffUser's 8-character minimum.)
 */
export const StaffPassword = z.string().min(12, 'at least 12 characters').max(200, 'at most 200 characters');
export const passwordProblem = (password: string, username: string): string | null =>
  password.toLowerCase().includes(username.toLowerCase()) ? 'must not contain the username' : new Set(password).size < 5 ? 'too few different characters' : null;

/** The role grants of every account, per username. */
export async function loadGrants(db: pg.Pool | pg.PoolClient, usernames?: readonly string[]): Promise<Map<string, RoleGrant[]>> {
  const { rows } = await db.query<{ username: string; role: string; scope_kind: string; scope_id: string }>(
    `SELECT username, role, scope_kind, scope_id FROM staff_role_grants ${usernames ? 'WHERE username = ANY($1)' : ''} ORDER BY username, role, scope_kind, scope_id`,
    usernames ? [usernames] : [],
  );
  const out = new Map<string, RoleGrant[]>();
  for (const r of rows) {
    const list = out.get(r.username) ?? [];
    list.push(RoleGrant.parse({ role: r.role, scope: { kind: r.scope_kind, id: r.scope_id } }));
    out.set(r.username, list);
  }
  return out;
}

/** The principal of a staff account: its username (the audit actor) and role grants. */
export async function loadPrincipal(db: pg.Pool, username: string): Promise<Principal> {
  const { rows } = await db.query<{ role: string; scope_kind: string; scope_id: string }>(
    'SELECT role, scope_kind, scope_id FROM staff_role_grants WHERE username = $1 ORDER BY role, scope_kind, scope_id',
    [username],
  );
  return Principal.parse({ userRef: username, roles: rows.map((r) => ({ role: r.role, scope: { kind: r.scope_kind, id: r.scope_id } })) });
}
