import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import { consoleApi } from './console-routes';
import { loadDirectory, loadPrincipal } from './directory';
import { HealthMonitor, healthRoutes, needsPostgres, needsTemporal, RETRY_AFTER_SECONDS, unavailableBecause } from './health';
import { guardInput } from './input-guard';
import { acceptUploads } from './documents';
import { registerUploadParsers } from './imports';
import { openApiDocument } from './openapi';
import { badRequest, HttpError, type RouteSpec, type Session } from './route';
import { type ApiDeps, buildRoutes } from './routes';
import { resolveSession } from './sessions';

export interface AppOptions extends Omit<ApiDeps, 'sessionTtlMs'> {
  sessionTtlMs?: number;
  /** false (default): silent; true: fastify's own pino to stdout; or the process's pino logger. */
  logger?: boolean | FastifyBaseLogger;
  /** The dependency monitor behind /ready and the 503s (default: Postgres and Temporal, checked every 2 s). */
  health?: HealthMonitor;
  /** The longest a request waits on Temporal before it is answered 503 (default 10 s). */
  temporalDeadlineMs?: number;
}

/** A request id a client may send (x-request-id), else one is made: at most 128 plain characters. */
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The HTTP API and the operations console. Every route needs a live session except /health,
 * /api/login, /api/openapi.json and the console's static files. Inputs are parsed with zod at
 * the edge; answers other than success carry { error, message, issues?, reason? }.
 */
export async function buildApp(opts: AppOptions): Promise<{ app: FastifyInstance; routes: RouteSpec[] }> {
  const deps: ApiDeps = { pool: opts.pool, temporal: opts.temporal, taskQueue: opts.taskQueue, sessionTtlMs: opts.sessionTtlMs ?? 8 * 3600_000, loginThrottle: opts.loginThrottle };
  const app = Fastify({
    ...(typeof opts.logger === 'object' ? { loggerInstance: opts.logger } : { logger: opts.logger ?? false }),
    bodyLimit: 256 * 1024,
    // A signed link's token is a path parameter (/api/links/:token, about 300 characters).
    // (A router option: Fastify 5 deprecates it at the top level, FSTDEP022.)
    routerOptions: { maxParamLength: 2048 },
    // Every request has an id (the client's x-request-id if it sent a plain one), logged with it and sent back.
    genReqId: (req) => {
      const sent = req.headers['x-request-id'];
      return typeof sent === 'string' && REQUEST_ID.test(sent) ? sent : randomUUID();
    },
    // Requests are not logged one by one; 5xx answers are (onResponse below), with their id.
    logController: new LogController({ disableRequestLogging: true }),
  });
  // Invalid text (NUL, control characters, lone surrogates, bad UTF-8) anywhere in params, query or body: 400 naming the field.
  guardInput(app);
  // Documents are uploaded as their bytes (documents.ts: at most 10 MiB, 413 beyond).
  acceptUploads(app);
  // Imports of applications are CSV or XLSX files sent as the body (imports.ts: at most 10 MiB).
  registerUploadParsers(app);
  const monitor = opts.health ?? new HealthMonitor({ pool: opts.pool, temporal: opts.temporal });
  if (!opts.health) {
    monitor.start();
    app.addHook('onClose', async () => monitor.stop());
  }
  const deadlineMs = opts.temporalDeadlineMs ?? 10_000;
  const ops = consoleApi(deps);
  const apiRoutes = [...buildRoutes(deps), ...ops.routes];
  const routes = [...apiRoutes, ...healthRoutes(monitor).filter((h) => !apiRoutes.some((r) => r.path === h.path))];

  const unavailable = (reply: import('fastify').FastifyReply, dependency: string, message: string) =>
    reply.status(503).header('retry-after', String(RETRY_AFTER_SECONDS)).send({ error: 'unavailable', message, dependency, retryAfterSeconds: RETRY_AFTER_SECONDS, requestId: reply.request.id });

  app.addHook('onSend', async (req, reply, payload) => {
    reply.header('x-request-id', req.id);
    return payload;
  });
  app.addHook('onResponse', async (req, reply) => {
    if (reply.statusCode >= 500) req.log.error({ reqId: req.id, method: req.method, url: req.url, statusCode: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'request answered with a server error');
  });
  // A dependency known to be down: answer at once (503, Retry-After) instead of waiting on it.
  app.addHook('preHandler', async (req, reply) => {
    const url = req.routeOptions.url;
    if (needsPostgres(url) && !monitor.postgresUp) return unavailable(reply, 'postgres', 'the database is unavailable right now; try again shortly');
    if (needsTemporal(req.method, url) && !monitor.temporalUp) return unavailable(reply, 'temporal', 'Temporal is unavailable right now; nothing was done; try again shortly');
  });

  app.setErrorHandler((err, req, reply) => {
    if (err instanceof HttpError) return reply.status(err.status).send({ error: err.code, message: err.message, ...err.extra });
    const e = err as { statusCode?: number; message: string; code?: string };
    if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500) return reply.status(e.statusCode).send({ error: 'bad-request', message: e.message, issues: [{ field: 'body', message: e.message }] });
    const down = unavailableBecause(err);
    if (down) {
      req.log.warn({ reqId: req.id, dependency: down.dependency, err: e.message }, 'dependency unavailable');
      void monitor.check();
      return unavailable(reply, down.dependency, down.message);
    }
    req.log.error({ reqId: req.id, err }, 'request failed');
    return reply.status(500).send({ error: 'internal', message: 'internal error', requestId: req.id });
  });
  app.setNotFoundHandler((req, reply) => reply.status(404).send({ error: 'not-found', message: `no route ${req.method} ${req.url.split('?')[0]}` }));

  const document = openApiDocument(routes);
  app.get('/api/openapi.json', async () => document);
  // The operations console (console/, bundled when the API starts): its pages, files and live feed.
  await ops.register(app);

  for (const r of routes) {
    app.route({
      method: r.method,
      url: r.path,
      handler: async (req, reply) => {
        let session: Session | undefined;
        if (!r.public) {
          const header = req.headers.authorization ?? '';
          const token = /^Bearer (.+)$/.exec(header)?.[1]?.trim() ?? '';
          const live = token ? await resolveSession(deps.pool, token) : null;
          if (!live) throw new HttpError(401, 'unauthorized', token ? 'session expired or signed out: sign in again' : 'sign in first (Authorization: Bearer <token>)');
          const [principal, directory] = await Promise.all([loadPrincipal(deps.pool, live.username), loadDirectory(deps.pool)]);
          session = { token, ...live, principal, directory };
        }
        const parse = (where: 'params' | 'query' | 'body', schema: RouteSpec['params'], raw: unknown) => {
          if (!schema) return undefined;
          const res = schema.safeParse(raw ?? {});
          if (!res.success) throw badRequest(where, res.error, raw ?? {});
          return res.data;
        };
        const params = parse('params', r.params, req.params);
        const query = parse('query', r.query, req.query);
        const body = parse('body', r.body, req.body);
        // Temporal calls made while answering give up after the deadline (then 503), never hang.
        const out = await deps.temporal.connection.withDeadline(Date.now() + deadlineMs, () => r.handler({ params, query, body, session: session!, req, reply } as never));
        // A route that answered on the raw response itself (the live feed hijacks it) has nothing more to send.
        if (reply.sent) return reply;
        if (out.body === null) return reply.status(out.status).send();
        return reply.status(out.status).send(out.body);
      },
    });
  }
  return { app, routes };
}
