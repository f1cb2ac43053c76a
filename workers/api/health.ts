import { type Client, isGrpcServiceError, ServiceError, WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';
import type pg from 'pg';
import { z } from 'zod';
import type { Config } from '../../infra/config';
import { isTransientDbError } from '../../infra/db/pool';
import { isTransientKafkaError, kafkaFor } from '../../infra/kafka/client';
import { EVENT_TOPICS } from '../../infra/kafka/topics';
import { ok, route, type RouteSpec } from './route';

/**
 * Liveness and readiness of the API, and the dependency checks behind its honest errors.
 *
 * A monitor asks Postgres, Temporal and Kafka every `intervalMs` (each with a short deadline) and
 * how far the projections stand behind the event topics. `/ready` answers from its last round at
 * once: 200 `ready` when all is well, 200 `degraded` when only reads may be stale (Kafka down, or
 * projections behind), 503 `unavailable` with Retry-After when Postgres or Temporal is down. While a
 * dependency is down, the requests that need it are answered 503 with Retry-After at once.
 */
export interface CheckResult {
  ok: boolean;
  /** How long the check took (ms). */
  ms: number;
  error?: string;
}

export interface ProjectorCheck extends CheckResult {
  /** Events on the event topics not folded yet by the slowest projection (null: Kafka could not be asked). */
  behind: number | null;
  /** Seconds the projections have been behind without catching up. */
  laggingForSeconds: number;
  deadLetters: number;
  parked: number;
  /** Envelopes waiting for their stream's earlier events. */
  sequenceParked: number;
  /** Forged or corrupted events, failed folds (projection_alerts). */
  alerts: number;
}

export interface Readiness {
  status: 'starting' | 'ready' | 'degraded' | 'unavailable';
  checkedAt: string | null;
  checks: { postgres: CheckResult; temporal: CheckResult; kafka: CheckResult; projector: ProjectorCheck };
}

export const RETRY_AFTER_SECONDS = 5;
/** Projections this far behind for this long make the API `degraded`. */
const LAG_TOLERANCE_SECONDS = 15;

const pending: CheckResult = { ok: true, ms: 0 };

const timed = async (ms: number, what: string, fn: () => Promise<void>): Promise<CheckResult> => {
  const t0 = Date.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([fn(), new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms)))]);
    return { ok: true, ms: Date.now() - t0 };
  } catch (err) {
    return { ok: false, ms: Date.now() - t0, error: (err as Error).message };
  } finally {
    clearTimeout(timer);
  }
};

export interface HealthOptions {
  pool: pg.Pool;
  temporal: Client;
  /** With a configuration, Kafka and the projection lag are checked too. */
  cfg?: Config;
  /** The projections whose lag counts (default: every projection with a stored position). */
  projections?: readonly string[];
  intervalMs?: number;
  timeoutMs?: number;
}

export class HealthMonitor {
  private state: Readiness = { status: 'starting', checkedAt: null, checks: { postgres: pending, temporal: pending, kafka: pending, projector: { ...pending, behind: 0, laggingForSeconds: 0, deadLetters: 0, parked: 0, sequenceParked: 0, alerts: 0 } } };
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private behindSince: number | null = null;
  private admin: ReturnType<ReturnType<typeof kafkaFor>['admin']> | null = null;

  constructor(private readonly opts: HealthOptions) {}

  get readiness(): Readiness {
    return this.state;
  }

  /** Postgres answered in the last round (true before the first round: nothing known yet). */
  get postgresUp(): boolean {
    return this.state.checks.postgres.ok;
  }

  get temporalUp(): boolean {
    return this.state.checks.temporal.ok;
  }

  start(): this {
    if (this.timer) return this;
    void this.check();
    this.timer = setInterval(() => void this.check(), this.opts.intervalMs ?? 2_000);
    this.timer.unref();
    return this;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running?.catch(() => undefined);
    await this.admin?.disconnect().catch(() => undefined);
    this.admin = null;
  }

  /** One round of checks (rounds never overlap). */
  check(): Promise<void> {
    this.running ??= this.round().finally(() => (this.running = null));
    return this.running;
  }

  private async round(): Promise<void> {
    const timeout = this.opts.timeoutMs ?? 1_500;
    const { pool, temporal, cfg } = this.opts;
    const [postgres, temporalCheck, kafka] = await Promise.all([
      timed(timeout, 'Postgres', async () => {
        await pool.query('SELECT 1');
      }),
      timed(timeout, 'Temporal', async () => {
        await temporal.connection.withDeadline(Date.now() + timeout, () => temporal.workflowService.getSystemInfo({}));
      }),
      cfg ? timed(timeout, 'Kafka', async () => {
        if (!this.admin) {
          const a = kafkaFor(cfg, 'api-health', 'analytics', { retries: 0 }).admin();
          try {
            await a.connect();
          } catch (err) {
            await a.disconnect().catch(() => undefined);
            throw err;
          }
          this.admin = a;
        }
        try {
          await this.admin.describeCluster();
        } catch (err) {
          const a = this.admin;
          this.admin = null;
          await a?.disconnect().catch(() => undefined);
          throw err;
        }
      }) : Promise.resolve<CheckResult>({ ok: true, ms: 0, error: 'not checked (no configuration given)' }),
    ]);
    // A Kafka admin that failed or did not answer in time may sit on a dead connection: start a fresh one next round.
    if (!kafka.ok) this.dropAdmin();
    const projector = await this.projectorCheck(postgres.ok, cfg && kafka.ok ? timeout : null);
    if (cfg && kafka.ok && projector.behind === null) this.dropAdmin();
    const status: Readiness['status'] = !postgres.ok || !temporalCheck.ok ? 'unavailable' : !kafka.ok || !projector.ok ? 'degraded' : 'ready';
    this.state = { status, checkedAt: new Date().toISOString(), checks: { postgres, temporal: temporalCheck, kafka, projector } };
  }

  private async projectorCheck(postgresUp: boolean, kafkaTimeout: number | null): Promise<ProjectorCheck> {
    const t0 = Date.now();
    const base = { behind: null as number | null, laggingForSeconds: 0, deadLetters: 0, parked: 0, sequenceParked: 0, alerts: 0 };
    if (!postgresUp) return { ok: false, ms: 0, error: 'Postgres is down', ...base };
    try {
      const { rows } = await this.opts.pool.query<{ kind: string; n: number }>(`SELECT kind, coalesce(sum(messages), 0)::bigint AS n FROM projection_health GROUP BY kind`);
      const count = (kind: string) => rows.find((r) => r.kind === kind)?.n ?? 0;
      const tally = { deadLetters: count('dead-letter'), parked: count('parked'), sequenceParked: count('sequence-parked'), alerts: count('alert') };
      if (kafkaTimeout === null) return { ok: false, ms: Date.now() - t0, error: 'Kafka cannot be asked: figures may be stale', ...base, ...tally };
      const behind = await this.behind(kafkaTimeout);
      const now = Date.now();
      if (behind > 0) this.behindSince ??= now;
      else this.behindSince = null;
      const laggingForSeconds = this.behindSince === null ? 0 : Math.floor((now - this.behindSince) / 1000);
      const healthy = laggingForSeconds < LAG_TOLERANCE_SECONDS;
      return { ok: healthy, ms: Date.now() - t0, ...(healthy ? {} : { error: `projections ${behind} events behind for ${laggingForSeconds} s` }), ...base, ...tally, behind, laggingForSeconds };
    } catch (err) {
      return { ok: false, ms: Date.now() - t0, error: (err as Error).message, ...base };
    }
  }

  private dropAdmin(): void {
    const a = this.admin;
    this.admin = null;
    void a?.disconnect().catch(() => undefined);
  }

  /** Events the slowest projection has not folded: the topics' end offsets minus its stored positions. */
  private async behind(timeoutMs: number): Promise<number> {
    const admin = this.admin!;
    const ends = await Promise.race([
      Promise.all(EVENT_TOPICS.map(async (topic) => ({ topic, partitions: await admin.fetchTopicOffsets(topic) }))),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('Kafka offsets did not come')), timeoutMs).unref()),
    ]);
    const names = this.opts.projections;
    const { rows } = await this.opts.pool.query<{ projection: string; topic: string; partition: number; next_offset: number }>(
      `SELECT projection, topic, partition, next_offset FROM projection_offsets WHERE topic = ANY($1)${names ? ' AND projection = ANY($2)' : ''}`,
      names ? [[...EVENT_TOPICS], names] : [[...EVENT_TOPICS]],
    );
    const projections = names ?? [...new Set(rows.map((r) => r.projection))];
    let worst = 0;
    for (const p of projections) {
      let behind = 0;
      for (const t of ends) {
        for (const part of t.partitions) {
          const at = rows.find((r) => r.projection === p && r.topic === t.topic && r.partition === part.partition);
          behind += Math.max(0, Number(part.high) - Number(at?.next_offset ?? 0));
        }
      }
      worst = Math.max(worst, behind);
    }
    return worst;
  }
}

/** Routes that change only Postgres: signing in and out, the participant registry, the organisation and staff invitations. */
const POSTGRES_ONLY = [/^\/api\/log(in|out)$/, /^\/api\/participants(\/|$)/, /^\/api\/organisation(\/|$)/, /^\/api\/invitations\//];

/** Requests that reach Temporal: every change (except those of POSTGRES_ONLY) and a mobility's detail. */
export function needsTemporal(method: string, routeUrl: string | undefined): boolean {
  if (!routeUrl?.startsWith('/api/')) return false;
  if (method === 'GET') return routeUrl === '/api/mobilities/:id';
  return !POSTGRES_ONLY.some((r) => r.test(routeUrl));
}

/** Requests that need Postgres: everything under /api/ except the OpenAPI document. */
export const needsPostgres = (routeUrl: string | undefined): boolean => !!routeUrl?.startsWith('/api/') && routeUrl !== '/api/openapi.json';

/**
 * What an error thrown while serving a request says about availability: a dependency that is
 * down or too slow (→ 503 with Retry-After), or null for anything else.
 */
export function unavailableBecause(err: unknown): { dependency: 'temporal' | 'postgres' | 'kafka'; message: string } | null {
  if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError) {
    return { dependency: 'temporal', message: 'Temporal did not confirm the action in time: it may or may not have been applied. Retry with the same Idempotency-Key, or reload the mobility.' };
  }
  const grpc = isGrpcServiceError(err) ? err : err instanceof ServiceError && isGrpcServiceError(err.cause) ? err.cause : null;
  // UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, CANCELLED (deadline of the request)
  if (grpc && [14, 4, 8, 1].includes(grpc.code)) return { dependency: 'temporal', message: 'Temporal is unavailable or too slow right now' };
  if (err instanceof ServiceError && /deadline|unavailable|connect/i.test(err.message)) return { dependency: 'temporal', message: 'Temporal is unavailable or too slow right now' };
  if (isTransientKafkaError(err)) return { dependency: 'kafka', message: 'Kafka is unavailable right now' };
  if (isTransientDbError(err)) return { dependency: 'postgres', message: 'the database is unavailable right now' };
  return null;
}

const Check = z.object({ ok: z.boolean(), ms: z.number(), error: z.string().optional() });
const ReadinessBody = z.object({
  status: z.enum(['starting', 'ready', 'degraded', 'unavailable']),
  checkedAt: z.string().nullable(),
  checks: z.object({
    postgres: Check, temporal: Check, kafka: Check,
    projector: Check.extend({ behind: z.number().nullable(), laggingForSeconds: z.number(), deadLetters: z.number(), parked: z.number(), sequenceParked: z.number(), alerts: z.number() }),
  }),
});

/** GET /ready (public): the monitor's last round. */
export function healthRoutes(monitor: HealthMonitor): RouteSpec[] {
  return [
    route({
      method: 'GET', path: '/ready', operationId: 'ready', summary: 'Readiness: Postgres, Temporal, Kafka and the projections\' lag (no session)', tag: 'system', public: true,
      responses: {
        200: { description: 'ready, or degraded (reads may be stale: Kafka down or projections behind)', schema: ReadinessBody },
        503: { description: 'unavailable: Postgres or Temporal is down (Retry-After)', schema: ReadinessBody },
      },
      handler: async ({ reply }) => {
        const r = monitor.readiness;
        if (r.status === 'unavailable') {
          reply.header('retry-after', String(RETRY_AFTER_SECONDS));
          return ok(r, 503);
        }
        return ok(r);
      },
    }),
  ];
}
