import pino, { type Logger } from 'pino';

export type { Logger } from 'pino';

/**
 * Structured logs (JSON lines, pino) for the engine's processes. Each process writes to its
 * standard output; `npm start` sends that to `<dataDir>/logs/<process>.log`. ME_LOG_LEVEL sets the
 * level (default info).
 */
export function createLogger(name: string, level = process.env.ME_LOG_LEVEL ?? 'info'): Logger {
  return pino({ name, level, base: { process: name, pid: process.pid } });
}

/** The fields worth logging of an error thrown by pg, kafkajs or the Temporal client. */
export function errorFields(err: unknown): Record<string, unknown> {
  if (!(err instanceof Error)) return { error: String(err) };
  const e = err as Error & { code?: unknown; retriable?: unknown; type?: unknown };
  return { error: e.message, errorName: e.name, ...(e.code !== undefined ? { code: e.code } : {}), ...(e.type !== undefined ? { type: e.type } : {}) };
}
