import { readFileSync } from 'node:fs';
import type { Client } from '@temporalio/client';
import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import { en } from '../../console/src/i18n/en';
import { fr } from '../../console/src/i18n/fr';
import { fieldsOf } from '../../console/src/forms';
import type { JsonSchema } from '../../console/src/openapi';
import { DeadlineId, DeadlineStatus } from '../../domain/calendar/deadlines';
import { RULES } from '../../domain/grant/rule-ids';
import * as groupings from '../../domain/grant/rates/groups';
import { INCOMING_EVENT_TYPES } from '../../domain/incoming/events';
import { PaymentKind } from '../../domain/mobility/codes';
import { OPEN_STAGES } from '../../domain/mobility/lifecycle';
import { Role } from '../../domain/tenancy';
import { ACTION_NAMES } from '../../workers/api/actions';
import { consoleApi, WORK_ACTION } from '../../workers/api/console-routes';
import { ISSUE_CODES } from '../../workers/api/issues';
import { openApiDocument } from '../../workers/api/openapi';
import { buildRoutes } from '../../workers/api/routes';

/**
 * The console's catalogues cover everything the server can name: every stage of the lifecycle
 * table, every staff action, deadline, role and refusal code of the domain, and every field and
 * code of the forms the console generates from the OpenAPI document. A missing key fails here.
 */
const catalogues = { en, fr } as Record<'en' | 'fr', Record<string, string>>;
const missing = (keys: string[]) =>
  Object.entries(catalogues).flatMap(([lang, c]) => keys.filter((k) => !(k in c) || c[k]!.trim() === '').map((k) => `${lang}: ${k}`));

const deps = { pool: {} as pg.Pool, temporal: {} as Client, taskQueue: 'q', sessionTtlMs: 1 };
const doc = openApiDocument([...buildRoutes(deps), ...consoleApi(deps).routes]);
// (buildRoutes includes the participant registry's routes: its registration form is generated too)
type Op = { operationId: string; requestBody?: { content: { 'application/json': { schema: JsonSchema } } } };
const operations = Object.values(doc.paths).flatMap((p) => Object.values(p) as Op[]);
const formOf = (operationId: string) => operations.find((o) => o.operationId === operationId)?.requestBody?.content['application/json'].schema;

/** Every field and enum value a generated form shows: its label key and its options' keys. */
function formKeys(schema: JsonSchema): string[] {
  return fieldsOf(schema).flatMap((f) => [
    `field.${f.name}`,
    ...(f.kind === 'object' ? formKeys(f.schema) : []),
    ...(f.schema.enum ?? []).map((v) => `${f.name === 'activity' ? 'activity' : 'code'}.${String(v)}`),
  ]);
}

describe('the console speaks French and English', () => {
  it('both catalogues have the same keys, and each message the same placeholders', () => {
    expect(Object.keys(fr).sort()).toEqual(Object.keys(en).sort());
    const vars = (s: string) => [...s.matchAll(/\{\{(\w+)\}\}/g)].map((m) => m[1]).sort();
    for (const k of Object.keys(en) as (keyof typeof en)[]) expect(vars(fr[k]), k).toEqual(vars(en[k]));
  });

  it('names every stage of the lifecycle table, every staff action, deadline, deadline status, role and payment kind', () => {
    expect(missing([
      ...OPEN_STAGES.map((s) => `stage.${s}`),
      ...ACTION_NAMES.map((a) => `action.${a}`),
      ...DeadlineId.options.map((d) => `deadline.${d}`),
      ...Object.keys(WORK_ACTION).map((k) => `deadline.${k}`),
      ...DeadlineStatus.options.map((s) => `deadlineStatus.${s}`),
      ...Role.options.map((r) => `role.${r}`),
      ...PaymentKind.options.map((k) => `paymentKind.${k}`),
    ])).toEqual([]);
  });

  it("translates every refusal code of the domain's decider", () => {
    const source = readFileSync(new URL('../../domain/mobility/rejection.ts', import.meta.url), 'utf8');
    const union = /export type RejectionCode =([\s\S]*?);/.exec(source)![1]!;
    const codes = [...union.matchAll(/'([a-z-]+)'/g)].map((m) => m[1]!);
    expect(codes.length).toBeGreaterThan(20);
    expect(missing(codes.map((c) => `refusal.${c}`))).toEqual([]);
  });

  it('words every grant rule of the domain (rule ids of domain/grant/rule-ids.ts): the rule, the line\'s item and its basis', () => {
    const ids = Object.keys(RULES);
    expect(ids.length).toBeGreaterThan(25);
    expect(missing(ids.flatMap((id) => [`grantRule.${id}`, `grantItem.${id}`, `grantBasis.${id}`]))).toEqual([]);
    // The country groupings a basis names (domain/grant/rates/groups.ts).
    const names = Object.values(groupings).flatMap((g) => (g && typeof g === 'object' && 'name' in g ? [String((g as { name: string }).name)] : []));
    expect(names.length).toBeGreaterThan(2);
    expect(missing(names.map((n) => `grantGrouping.${n}`))).toEqual([]);
  });

  it('words every validation issue code the server sends (workers/api/issues.ts) and every incoming event type of the history', () => {
    expect(missing(ISSUE_CODES.map((c) => `issue.${c}`))).toEqual([]);
    expect(missing(INCOMING_EVENT_TYPES.map((e) => `incomingEvent.${e.type}`))).toEqual([]);
  });

  it('labels every field and code of every form it generates from the OpenAPI document (each staff action, the application)', () => {
    const ids = [...ACTION_NAMES.map((a) => `action_${a}`), 'submitApplication', 'registerParticipant'];
    const keys: string[] = [];
    for (const id of ids) {
      const schema = formOf(id);
      expect(schema, id).toBeDefined();
      keys.push(...formKeys(schema!));
    }
    expect(keys.length).toBeGreaterThan(30);
    expect(missing([...new Set(keys)])).toEqual([]);
  });
});
