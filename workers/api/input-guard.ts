import { isUtf8 } from 'node:buffer';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HttpError } from './route';

/**
 * Text at the edge. Before any route parses its input, every string of the path parameters, the
 * query string and the body — keys as well as values, at any depth — must be valid text:
 *
 * - no NUL (Postgres cannot store it) and no other C0 control character except tab, line feed
 *   and carriage return (free text may hold lines); no DEL or C1 control (U+007F–U+009F);
 * - no lone UTF-16 surrogate (JSON's "\ud800" escape; it has no UTF-8 form) and no
 *   non-character U+FFFE / U+FFFF;
 * - a JSON body must be valid UTF-8 (fastify would otherwise turn bad bytes into U+FFFD silently);
 * - a body nests at most MAX_DEPTH arrays or objects.
 *
 * Anything else answers 400 `{ error: 'bad-request', message, issues: [{ field, message }] }`
 * naming the field (`id`, `stage`, `plan.hostOrgId`, `lines.0.funder`), never a 500 from deeper
 * down. The walk is iterative, so a deeply nested body cannot overflow the stack.
 */
export const MAX_DEPTH = 32;

const BAD_TEXT = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

const codePoint = (c: string) => `U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
const NAMES: Record<number, string> = { 0: 'a NUL byte', 0x1b: 'an escape character', 0x7f: 'a DEL character' };

/** Why a string is not valid text, or null if it is. */
export function invalidText(s: string): string | null {
  const m = BAD_TEXT.exec(s);
  if (!m) return null;
  const c = m[0];
  const code = c.charCodeAt(0);
  if (code >= 0xd800 && code <= 0xdfff) return `contains a lone surrogate (${codePoint(c)}) at position ${m.index}: not valid Unicode text`;
  if (code === 0xfffe || code === 0xffff) return `contains the non-character ${codePoint(c)} at position ${m.index}`;
  return `contains ${NAMES[code] ?? 'a control character'} (${codePoint(c)}) at position ${m.index}: text may hold tab and line breaks, no other control characters`;
}

/** A key as it may be shown in a field path: invalid characters escaped (\uXXXX), at most 64 characters. */
const showKey = (k: string) => {
  const shown = k.replace(new RegExp(BAD_TEXT.source, 'g'), (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return shown.length > 64 ? `${shown.slice(0, 61)}...` : shown;
};

export interface TextIssue {
  field: string;
  message: string;
}

/**
 * The first invalid string (or over-deep nesting) in a parsed input, with its dotted path, or null.
 * `root` names the input when the input itself is the offending string (e.g. a text/plain body).
 */
export function findInvalidText(input: unknown, root: string): TextIssue | null {
  const stack: { value: unknown; path: string; depth: number }[] = [{ value: input, path: '', depth: 0 }];
  while (stack.length > 0) {
    const { value, path, depth } = stack.pop()!;
    if (typeof value === 'string') {
      const why = invalidText(value);
      if (why) return { field: path || root, message: why };
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    if (depth >= MAX_DEPTH) return { field: path || root, message: `nests more than ${MAX_DEPTH} levels of arrays or objects` };
    const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value);
    // Pushed in reverse, so the first offending field (in document order) is reported.
    for (let i = entries.length - 1; i >= 0; i--) {
      const [k, v] = entries[i]!;
      const keyPath = path ? `${path}.${showKey(k)}` : showKey(k);
      const why = invalidText(k);
      if (why) return { field: keyPath, message: `the field name ${why}` };
      stack.push({ value: v, path: keyPath, depth: depth + 1 });
    }
  }
  return null;
}

const reject = (where: 'params' | 'query' | 'body', issue: TextIssue) =>
  new HttpError(400, 'bad-request', `invalid ${where}: ${issue.field}: ${issue.message}`, { issues: [issue] });

/** The preValidation check: params, then query, then body. */
export async function rejectInvalidText(req: FastifyRequest): Promise<void> {
  for (const where of ['params', 'query', 'body'] as const) {
    const issue = findInvalidText(req[where], where);
    if (issue) throw reject(where, issue);
  }
}

/**
 * Installs the guard on an app: a JSON body parser that refuses bytes that are not UTF-8 (then
 * parses as fastify does, refusing `__proto__` and `constructor.prototype`), and the preValidation
 * hook. Register it before the routes.
 */
export function guardInput(app: FastifyInstance): void {
  const json = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (req, body, done) => {
    const bytes = body as Buffer;
    if (!isUtf8(bytes)) return done(reject('body', { field: 'body', message: 'is not valid UTF-8 text' }), undefined);
    return json(req, bytes.toString('utf8'), done);
  });
  app.addHook('preValidation', rejectInvalidText);
}
