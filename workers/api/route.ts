import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Principal, TenantDirectory } from '../../domain/tenancy';
import { codeOfZodIssue } from './issues';

/**
 * One route of the API, described once: the fastify handler and the OpenAPI document are both
 * built from it, and every input (params, query, body) is parsed with its zod schema.
 */
export interface RouteSpec<P extends z.ZodType = z.ZodType, Q extends z.ZodType = z.ZodType, B extends z.ZodType = z.ZodType> {
  method: 'GET' | 'POST' | 'DELETE';
  /** fastify form: /api/mobilities/:id */
  path: string;
  operationId: string;
  summary: string;
  tag: string;
  /** No session needed (health, login, the OpenAPI document, the console page). */
  public?: boolean;
  params?: P;
  query?: Q;
  body?: B;
  responses: Record<number, { description: string; schema?: z.ZodType }>;
  handler: (ctx: Ctx<z.output<P>, z.output<Q>, z.output<B>>) => Promise<Reply>;
}

export interface Ctx<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  /** Present on every non-public route. */
  session: Session;
  req: FastifyRequest;
  reply: FastifyReply;
}

export interface Session {
  token: string;
  username: string;
  displayName: string;
  expiresAt: string;
  principal: Principal;
  directory: TenantDirectory;
}

export interface Reply {
  status: number;
  body: unknown;
  type?: string;
}

export const ok = (body: unknown, status = 200): Reply => ({ status, body });

/** An answer other than success, with a stable code and a readable message. */
export class HttpError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly extra: Record<string, unknown> = {}) {
    super(message);
  }
}

export const ErrorBody = z.object({
  error: z.string().describe('stable code, e.g. bad-request, forbidden, not-found, refused'),
  message: z.string(),
  issues: z.array(z.object({
    field: z.string(), message: z.string().describe('in English'),
    code: z.string().optional().describe('stable code of the problem (required, invalid-date, too-big…), for a client to word it in its language'),
    params: z.record(z.string(), z.union([z.string(), z.number()])).optional().describe('the values the code names (minimum, maximum, options)'),
  })).optional(),
  reason: z.string().optional(),
});

/** 400 naming each offending field (dotted path), with the problem's code and parameters (issues.ts) next to its English message. */
export function badRequest(where: 'body' | 'query' | 'params', error: z.ZodError, input?: unknown): HttpError {
  const issues = error.issues.map((i) => ({ field: i.path.map(String).join('.') || (i.code === 'unrecognized_keys' ? (i as { keys?: string[] }).keys?.join(',') ?? where : where), message: i.message, ...codeOfZodIssue(i, input) }));
  // An unknown field is named by its full path (plan.fewerOpportunitiesCriterion), not only by its parent's.
  const keys = error.issues.flatMap((i) => (i.code === 'unrecognized_keys' ? (i as { keys: string[] }).keys.map((k) => [...i.path.map(String), k].join('.')) : []));
  for (const k of keys) if (!issues.some((x) => x.field === k)) issues.push({ field: k, message: 'unrecognized field', code: 'unrecognized-field', params: {} });
  return new HttpError(400, 'bad-request', `invalid ${where}: ${issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`, { issues });
}

export const route = <P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType>(spec: RouteSpec<P, Q, B>): RouteSpec => spec as unknown as RouteSpec;
