import { z } from 'zod';
import { ErrorBody, type RouteSpec } from './route';

const json = (schema: z.ZodType, io: 'input' | 'output') =>
  z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as Record<string, unknown>;

/** fastify's /a/:id → OpenAPI's /a/{id} */
export const openApiPath = (path: string): string => path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

/** The OpenAPI 3.1 document, generated from the routes' zod schemas (z.toJSONSchema, JSON Schema 2020-12). */
export function openApiDocument(routes: readonly RouteSpec[], serverUrl?: string) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const parameters: unknown[] = [];
    for (const [where, schema] of [['path', r.params], ['query', r.query]] as const) {
      if (!schema) continue;
      const s = json(schema, 'input') as { properties?: Record<string, unknown>; required?: string[] };
      for (const [name, prop] of Object.entries(s.properties ?? {})) {
        parameters.push({ name, in: where, required: where === 'path' || (s.required ?? []).includes(name), schema: prop });
      }
    }
    const responses: Record<string, unknown> = {};
    for (const [status, res] of Object.entries(r.responses)) {
      const schema = res.schema ?? (Number(status) >= 400 ? ErrorBody : undefined);
      responses[status] = { description: res.description, ...(schema ? { content: { 'application/json': { schema: json(schema, 'output') } } } : {}) };
    }
    (paths[openApiPath(r.path)] ??= {})[r.method.toLowerCase()] = {
      operationId: r.operationId,
      summary: r.summary,
      tags: [r.tag],
      ...(r.public ? { security: [] } : {}),
      ...(parameters.length ? { parameters } : {}),
      ...(r.body ? { requestBody: { required: true, content: { 'application/json': { schema: json(r.body, 'input') } } } } : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    info: {
      title: 'Mobility engine — operations API',
      version: '1.0.0',
      description: 'Staff API of the Erasmus+ KA1 mobility engine. Sign in with POST /api/login, then send `Authorization: Bearer <token>`. Every answer is limited to the tenants your roles cover; a mobility outside them answers 404.',
    },
    ...(serverUrl ? { servers: [{ url: serverUrl }] } : {}),
    security: [{ bearer: [] }],
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'opaque session token from POST /api/login' } } },
    paths,
  };
}
