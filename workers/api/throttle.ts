import { isIPv4, isIPv6 } from 'node:net';
import type pg from 'pg';

/**
 * Sign-in throttling, per username (as typed) and per client address (migration 330).
 *
 * Each key counts consecutive failed sign-ins. At the key's limit (default: 5 for a username, 20
 * for an address, which many staff may share behind one NAT) it is locked for `lockMs` (15 min);
 * every further failure after a lock has run out locks it again for twice as long, up to
 * `maxLockMs` (24 h). While either key of an attempt is locked the attempt is refused without
 * looking at the password (429 with Retry-After): the right password does not open a locked
 * account, and a refusal tells nothing about the password. A success resets its username's
 * count; a quiet period (`forgetAfterMs`) forgets a key's failures.
 *
 * An attempt counts as a failure *before* its password is checked (the count and the lock check
 * are one transaction, keys locked in a fixed order), so a burst of parallel guesses gets exactly
 * `maxFailures` password checks, never more; a success then takes its provisional failure back.
 * Every attempt is logged in login_attempts with what was answered.
 */
export interface KeyPolicy {
  /** Failures that lock the key. */
  maxFailures: number;
  /** The first lock; each later one doubles. */
  lockMs: number;
  maxLockMs: number;
  /** Failures older than this (since the key's last failure) are forgotten. */
  forgetAfterMs: number;
}

export interface LoginThrottlePolicy {
  username: KeyPolicy;
  address: KeyPolicy;
}

export type LoginThrottleOptions = { [K in keyof LoginThrottlePolicy]?: Partial<KeyPolicy> };

export const DEFAULT_LOGIN_THROTTLE: LoginThrottlePolicy = {
  username: { maxFailures: 5, lockMs: 15 * 60_000, maxLockMs: 24 * 3600_000, forgetAfterMs: 24 * 3600_000 },
  address: { maxFailures: 20, lockMs: 15 * 60_000, maxLockMs: 24 * 3600_000, forgetAfterMs: 3600_000 },
};

type Kind = keyof LoginThrottlePolicy;

/** How long a key is locked after its `failures`-th consecutive failure (0: not locked). */
export function lockMsAfter(p: KeyPolicy, failures: number): number {
  if (failures < p.maxFailures) return 0;
  const doublings = Math.min(failures - p.maxFailures, 40);
  return Math.min(p.maxLockMs, p.lockMs * 2 ** doublings);
}

/** The key of a client address: IPv4 (also IPv4-mapped IPv6) as is, IPv6 by its /64 (one host's usual allocation). */
export function addressKey(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1]!;
  if (isIPv4(ip) || !isIPv6(ip)) return ip;
  const [head, tail = ''] = ip.toLowerCase().split('::') as [string, string?];
  const h = head ? head.split(':') : [];
  const t = ip.includes('::') && tail ? tail.split(':') : [];
  const groups = ip.includes('::') ? [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t] : h;
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '')).join(':')}::/64`;
}

export type Admission =
  | { admitted: true; username: string; address: string; lockedUntil: Date | null }
  | { admitted: false; username: string; address: string; lockedUntil: Date; retryAfterSeconds: number; lockedBy: Kind[] };

interface Log {
  warn(obj: object, msg: string): void;
}

interface Row {
  kind: Kind;
  failures: number;
  last_failure_at: Date | null;
  locked_until: Date | null;
  now: Date;
}

export function loginThrottle(pool: pg.Pool, options: LoginThrottleOptions = {}) {
  const policy: LoginThrottlePolicy = {
    username: { ...DEFAULT_LOGIN_THROTTLE.username, ...options.username },
    address: { ...DEFAULT_LOGIN_THROTTLE.address, ...options.address },
  };
  const record = (username: string, address: string, outcome: 'success' | 'failure' | 'locked', lockedUntil: Date | null) =>
    pool.query('INSERT INTO login_attempts (username, client_address, outcome, locked_until) VALUES ($1, $2, $3, $4)', [username, address, outcome, lockedUntil]);

  return {
    policy,

    /**
     * Before the password is checked: refused if the username or the address is locked; else the
     * attempt is counted as a failure (locking the key if it reaches its limit) until `succeeded`.
     */
    async admit(username: string, ip: string, log?: Log): Promise<Admission> {
      const address = addressKey(ip);
      const tx = await pool.connect();
      let admission: Admission;
      try {
        await tx.query('BEGIN');
        const select = (lock: boolean) => tx.query<Row>(
          `SELECT kind, failures, last_failure_at, locked_until, now() AS now FROM login_throttle
            WHERE (kind = 'address' AND key = $1) OR (kind = 'username' AND key = $2) ORDER BY kind, key${lock ? ' FOR UPDATE' : ''}`,
          [address, username],
        );
        // A locked key refuses at once, before any row is made (a locked address cannot fill the table with usernames).
        let { rows } = await select(false);
        if (!rows.some((r) => r.locked_until !== null && r.locked_until > r.now)) {
          await tx.query(`INSERT INTO login_throttle (kind, key) VALUES ('address', $1), ('username', $2) ON CONFLICT DO NOTHING`, [address, username]);
          ({ rows } = await select(true));
        }
        const now = rows[0]!.now;
        const locked = rows.filter((r) => r.locked_until !== null && r.locked_until > now);
        if (locked.length > 0) {
          const until = new Date(Math.max(...locked.map((r) => r.locked_until!.getTime())));
          admission = { admitted: false, username, address, lockedUntil: until, retryAfterSeconds: Math.max(1, Math.ceil((until.getTime() - now.getTime()) / 1000)), lockedBy: locked.map((r) => r.kind) };
        } else {
          let lockedUntil: Date | null = null;
          for (const r of rows) {
            const p = policy[r.kind];
            const remembered = r.last_failure_at !== null && now.getTime() - r.last_failure_at.getTime() < p.forgetAfterMs ? r.failures : 0;
            const failures = remembered + 1;
            const lockMs = lockMsAfter(p, failures);
            const until = lockMs > 0 ? new Date(now.getTime() + lockMs) : null;
            if (until && (!lockedUntil || until > lockedUntil)) lockedUntil = until;
            await tx.query(
              `UPDATE login_throttle SET failures = $3, last_failure_at = $4, locked_until = $5 WHERE kind = $1 AND key = $2`,
              [r.kind, r.kind === 'address' ? address : username, failures, now, until],
            );
          }
          admission = { admitted: true, username, address, lockedUntil };
        }
        await tx.query('COMMIT');
      } catch (err) {
        await tx.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        tx.release();
      }
      if (!admission.admitted) {
        await record(username, address, 'locked', admission.lockedUntil);
        log?.warn({ username, address, lockedBy: admission.lockedBy, lockedUntil: admission.lockedUntil.toISOString() }, 'sign-in refused: locked after repeated failures');
      }
      return admission;
    },

    /** The password was wrong (or the account unknown or disabled): the failure counted at admission stands. */
    async failed(a: Admission & { admitted: true }, log?: Log): Promise<void> {
      await record(a.username, a.address, 'failure', a.lockedUntil);
      if (a.lockedUntil) log?.warn({ username: a.username, address: a.address, lockedUntil: a.lockedUntil.toISOString() }, 'sign-in failures reached the limit: locked');
    },

    /** Signed in: the username's count is reset, and the address gets its provisional failure back. */
    async succeeded(a: Admission & { admitted: true }): Promise<void> {
      await pool.query(`UPDATE login_throttle SET failures = 0, last_failure_at = NULL, locked_until = NULL WHERE kind = 'username' AND key = $1`, [a.username]);
      await pool.query(
        `UPDATE login_throttle SET failures = greatest(failures - 1, 0),
                locked_until = CASE WHEN failures - 1 >= $2 THEN locked_until END
          WHERE kind = 'address' AND key = $1`,
        [a.address, policy.address.maxFailures],
      );
      await record(a.username, a.address, 'success', null);
    },
  };
}

export type LoginThrottle = ReturnType<typeof loginThrottle>;
