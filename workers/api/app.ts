import Fastify, { type FastifyInstance } from 'fastify';
import { consoleApi } from './console-routes';
import { loadDirectory, loadPrincipal } from './directory';
import { openApiDocument } from './openapi';
import { badRequest, HttpError, type RouteSpec, type Session } from './route';
import { type ApiDeps, buildRoutes } from './routes';
import { resolveSession } from './sessions';

export interface AppOptions extends Omit<ApiDeps, 'sessionTtlMs'> {
  sessionTtlMs?: number;
  logger?: boolean;
}

/**
 * The HTTP API and the operations console. Every route needs a live session except /health,
 * /api/login, /api/openapi.json and the console's static files. Inputs are parsed with zod at
 * the edge; answers other than success carry { error, message, issues?, reason? }.
 */
export async function buildApp(opts: AppOptions): Promise<{ app: FastifyInstance; routes: RouteSpec[] }> {
  const deps: ApiDeps = { pool: opts.pool, temporal: opts.temporal, taskQueue: opts.taskQueue, sessionTtlMs: opts.sessionTtlMs ?? 8 * 3600_000 };
  const app = Fastify({ logger: opts.logger ?? false, bodyLimit: 256 * 1024 });
  const ops = consoleApi(deps);
  const routes = [...buildRoutes(deps), ...ops.routes];

  app.setErrorHandler((err, req, reply) => {
    if (err instanceof HttpError) return reply.status(err.status).send({ error: err.code, message: err.message, ...err.extra });
    const e = err as { statusCode?: number; message: string; code?: string };
    if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500) return reply.status(e.statusCode).send({ error: 'bad-request', message: e.message, issues: [{ field: 'body', message: e.message }] });
    req.log.error(err);
    return reply.status(500).send({ error: 'internal', message: 'internal error' });
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
          if (!res.success) throw badRequest(where, res.error);
          return res.data;
        };
        const params = parse('params', r.params, req.params);
        const query = parse('query', r.query, req.query);
        const body = parse('body', r.body, req.body);
        const out = await r.handler({ params, query, body, session: session!, req, reply } as never);
        if (out.body === null) return reply.status(out.status).send();
        return reply.status(out.status).send(out.body);
      },
    });
  }
  return { app, routes };
}
