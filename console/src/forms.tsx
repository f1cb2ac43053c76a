import type { ComponentChildren } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ApiError } from './api';
import { issueText } from './server-text';
import { has, t, tv, type MessageKey } from './i18n';
import type { JsonSchema } from './openapi';

/**
 * A form generated from a request body's JSON Schema (the OpenAPI document, itself generated from
 * the domain's zod schemas): dates get date pickers, closed code lists get selects with translated
 * labels, numbers get number inputs with their bounds and unit, booleans checkboxes, nested
 * objects a fieldset. The server validates; its refusal is shown next to the field it names.
 */

type Value = string | boolean | Values;
interface Values { [k: string]: Value }

/** Display units of numeric fields (presentation only). */
const UNITS: Record<string, MessageKey> = {
  distanceKm: 'unit.km', prefinancingPercent: 'unit.percent', ects: 'unit.ects', recognisedEcts: 'unit.ects',
  monthlyEur: 'unit.eurPerMonth', dailyEur: 'unit.eurPerDay', travelDays: 'unit.days',
};
/** Enum values of these fields are labelled from another part of the catalogue. */
const ENUM_PREFIX: Record<string, string> = { activity: 'activity' };

interface Field {
  name: string;
  path: string;
  schema: JsonSchema;
  required: boolean;
  nullable: boolean;
  kind: 'enum' | 'boolean' | 'number' | 'date' | 'text' | 'list' | 'object' | 'skip';
}

/** A property's own schema, with `anyOf [X, null]` unwrapped. */
function unwrap(s: JsonSchema): { schema: JsonSchema; nullable: boolean } {
  const alts = s.anyOf ?? s.oneOf;
  if (alts) {
    const nonNull = alts.filter((a) => a.type !== 'null');
    if (nonNull.length === 1) return { schema: { ...nonNull[0], default: s.default ?? nonNull[0]!.default, description: s.description ?? nonNull[0]!.description }, nullable: nonNull.length < alts.length };
  }
  return { schema: s, nullable: Array.isArray(s.type) && s.type.includes('null') };
}

function kindOf(s: JsonSchema): Field['kind'] {
  const type = Array.isArray(s.type) ? s.type.find((x) => x !== 'null') : s.type;
  if (s.enum) return 'enum';
  if (type === 'boolean') return 'boolean';
  if (type === 'integer' || type === 'number') return 'number';
  if (type === 'string' && s.format === 'date') return 'date';
  if (type === 'string') return 'text';
  // A list of ids (e.g. an application's co-funding lines): one text field, the ids separated by commas.
  if (type === 'array' && ((s as { items?: JsonSchema }).items)?.type === 'string') return 'list';
  if (type === 'object' && s.properties && Object.keys(s.properties).length > 0) return 'object';
  return 'skip';
}

export function fieldsOf(schema: JsonSchema, prefix = ''): Field[] {
  const req = new Set(schema.required ?? []);
  return Object.entries(schema.properties ?? {}).map(([name, raw]) => {
    const { schema: s, nullable } = unwrap(raw);
    const required = req.has(name) && s.default === undefined && !nullable;
    return { name, path: prefix ? `${prefix}.${name}` : name, schema: s, required, nullable, kind: kindOf(s) };
  }).filter((f) => f.kind !== 'skip' || f.required);
}

const labelOf = (name: string): string => (has(`field.${name}`) ? t(`field.${name}` as MessageKey) : name.replace(/([A-Z])/g, ' $1').toLowerCase());

function initialValues(schema: JsonSchema, initial: Record<string, unknown>): Values {
  const out: Values = {};
  for (const f of fieldsOf(schema)) {
    const given = initial[f.name];
    if (f.kind === 'object') out[f.name] = initialValues(f.schema, (given as Record<string, unknown>) ?? {});
    else if (f.kind === 'boolean') out[f.name] = Boolean(given ?? f.schema.default ?? false);
    else if (f.kind === 'list') out[f.name] = Array.isArray(given) ? given.join(', ') : '';
    else out[f.name] = given === undefined || given === null ? (f.schema.default !== undefined && f.schema.default !== null && typeof f.schema.default !== 'object' ? String(f.schema.default) : '') : String(given);
  }
  return out;
}

/** Form values → request body: numbers parsed, empty optional fields left out, empty nullable ones null. */
function bodyOf(schema: JsonSchema, values: Values): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fieldsOf(schema)) {
    const v = values[f.name];
    if (f.kind === 'object') {
      // An optional group left entirely empty (e.g. a hybrid's virtual component) is left out, not sent half-filled.
      if (!f.required && !filled(v)) continue;
      out[f.name] = bodyOf(f.schema, (v as Values) ?? {});
      continue;
    }
    if (f.kind === 'boolean') {
      if (v || f.required || req(schema, f.name)) out[f.name] = Boolean(v);
      continue;
    }
    const s = typeof v === 'string' ? v.trim() : '';
    if (s === '') {
      if (f.nullable) out[f.name] = null;
      else if (f.required) out[f.name] = '';
      continue;
    }
    out[f.name] = f.kind === 'number' ? Number(s.replace(',', '.')) : f.kind === 'list' ? s.split(',').map((x) => x.trim()).filter((x) => x !== '') : s;
  }
  return out;
}
const req = (schema: JsonSchema, name: string) => (schema.required ?? []).includes(name);
/** Whether the person entered anything in a field or group: a non-blank text or a ticked box. */
const filled = (v: unknown): boolean =>
  typeof v === 'string' ? v.trim() !== '' : typeof v === 'boolean' ? v : v !== null && typeof v === 'object' ? Object.values(v).some(filled) : false;

/** The refusal of the server, translated, with the fields it concerns. */
export interface Refusal {
  message: string;
  detail: string | null;
  rule: string | null;
  fields: Record<string, string>;
}

export function refusalOf(err: unknown, values?: Record<string, unknown>): Refusal {
  if (!(err instanceof ApiError)) return { message: t('common.error', { message: (err as Error).message }), detail: null, rule: null, fields: {} };
  const b = err.body;
  const fields: Record<string, string> = {};
  if (err.status === 400) {
    for (const i of b.issues ?? []) {
      // The issue's code worded in the user's language (server-text.ts); the server's English only when it sent no known code.
      const x = issueText(i);
      // An issue on an item of a list field (e.g. coFundingLineIds.0) marks the list's field.
      const field = values && !(i.field in values) && /\.\d+$/.test(i.field) && i.field.replace(/\.\d+$/, '') in values ? i.field.replace(/\.\d+$/, '') : i.field;
      const text = x.translated ? `${x.text.charAt(0).toUpperCase()}${x.text.slice(1)}.` : `${t('field.invalid')} (${i.message})`;
      fields[field] = fields[field] && fields[field] !== text ? `${fields[field]} ${text}` : text;
    }
    return { message: t('refusal.bad-request'), detail: null, rule: null, fields };
  }
  if (err.status === 409 && b.code) {
    const key = `refusal.${b.code}`;
    const message = has(key) ? t(key as MessageKey) : t('refusal.refused');
    // The domain's sentence names the offending value: mark the field that holds it.
    for (const [path, v] of Object.entries(flatten(values ?? {}))) {
      if (typeof v === 'string' && v.length >= 4 && b.reason?.includes(v)) fields[path] = message;
    }
    return { message, detail: b.reason ?? null, rule: b.ruleId ?? null, fields };
  }
  const byStatus: Record<number, MessageKey> = { 403: 'refusal.forbidden', 404: 'refusal.not-found', 409: 'refusal.conflict', 503: 'refusal.unavailable' };
  return { message: t(byStatus[err.status] ?? 'refusal.internal'), detail: null, rule: null, fields };
}

function flatten(o: Record<string, unknown>, prefix = ''): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) {
    const p = prefix ? `${prefix}.${k}` : k;
    if (v && typeof v === 'object' && !Array.isArray(v)) Object.assign(out, flatten(v as Record<string, unknown>, p));
    else out[p] = v;
  }
  return out;
}

export function RefusalBox({ refusal, id }: { refusal: Refusal; id?: string }) {
  return (
    <div class="msg error" role="alert" id={id} tabIndex={-1}>
      <strong>{refusal.message}</strong>
      {refusal.rule && <span class="muted"> · {t('refusal.rule', { rule: refusal.rule })}</span>}
      {refusal.detail && (
        <p class="detail">
          <span class="muted">{t('refusal.detail')}</span> <span lang="en">{refusal.detail}</span>
        </p>
      )}
    </div>
  );
}

export interface SchemaFormProps {
  schema: JsonSchema;
  id: string;
  submitLabel: string;
  initial?: Record<string, unknown>;
  /** Suggestions per field name (datalist): ids the server listed for this user. */
  suggestions?: Record<string, { value: string; label: string }[]>;
  onSubmit: (body: Record<string, unknown>) => Promise<void>;
  children?: ComponentChildren;
}

export function SchemaForm({ schema, id, submitLabel, initial, suggestions, onSubmit, children }: SchemaFormProps) {
  const [values, setValues] = useState<Values>(() => initialValues(schema, initial ?? {}));
  const [refusal, setRefusal] = useState<Refusal | null>(null);
  const [busy, setBusy] = useState(false);
  const formRef = useRef<HTMLFormElement>(null);
  const fields = useMemo(() => fieldsOf(schema), [schema]);

  useEffect(() => {
    if (!refusal) return;
    // Keep the refusal in view: focus the first field it names, else the message itself.
    const form = formRef.current;
    const first = Object.keys(refusal.fields)[0];
    const target = (first && form?.querySelector<HTMLElement>(`[data-path="${first}"]`)) || form?.querySelector<HTMLElement>('[role="alert"]');
    target?.scrollIntoView({ block: 'center' });
    target?.focus();
  }, [refusal]);

  const set = (path: string, v: string | boolean) => {
    setValues((old) => {
      const next: Values = structuredClone(old);
      const parts = path.split('.');
      let o = next;
      for (const p of parts.slice(0, -1)) o = o[p] as Values;
      o[parts.at(-1)!] = v;
      return next;
    });
  };

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setRefusal(null);
    const body = bodyOf(schema, values);
    try {
      await onSubmit(body);
    } catch (err) {
      setRefusal(refusalOf(err, body));
    } finally {
      setBusy(false);
    }
  };

  const render = (fs: Field[], vals: Values): preact.JSX.Element[] =>
    fs.map((f) => {
      const fieldId = `${id}-${f.path.replace(/\./g, '-')}`;
      const err = refusal?.fields[f.path];
      const errId = `${fieldId}-error`;
      const common = {
        id: fieldId, name: f.path, 'data-path': f.path, 'aria-invalid': err ? ('true' as const) : undefined,
        'aria-describedby': err ? errId : undefined, required: f.required,
      };
      const label = (
        <>
          {labelOf(f.name)}
          {f.required && <span class="req" aria-hidden="true"> *</span>}
        </>
      );
      const error = err && (
        <span class="field-error" id={errId}>
          {err}
        </span>
      );
      if (f.kind === 'object') {
        return (
          <fieldset key={f.path} class="group">
            <legend>{labelOf(f.name)}</legend>
            {render(fieldsOf(f.schema, f.path), (vals[f.name] as Values) ?? {})}
          </fieldset>
        );
      }
      if (f.kind === 'boolean') {
        return (
          <div class="field check" key={f.path}>
            <input type="checkbox" {...common} required={false} checked={Boolean(vals[f.name])} onChange={(e) => set(f.path, (e.currentTarget as HTMLInputElement).checked)} />
            <label for={fieldId}>{labelOf(f.name)}</label>
            {error}
          </div>
        );
      }
      const v = (vals[f.name] as string) ?? '';
      let input: preact.JSX.Element;
      if (f.kind === 'enum') {
        const prefix = ENUM_PREFIX[f.name] ?? 'code';
        input = (
          <select {...common} value={v} onChange={(e) => set(f.path, (e.currentTarget as HTMLSelectElement).value)}>
            <option value="">{t('field.choose')}</option>
            {(f.schema.enum ?? []).map((o) => (
              <option key={String(o)} value={String(o)}>{tv(prefix, String(o))}</option>
            ))}
          </select>
        );
      } else if (f.kind === 'number') {
        const s = f.schema;
        const integer = s.type === 'integer';
        const bound = (x: number | undefined) => (x !== undefined && Math.abs(x) < 1e12 ? x : undefined);
        input = (
          <span class="with-unit">
            <input type="number" inputMode={integer ? 'numeric' : 'decimal'} {...common} value={v}
              min={bound(s.minimum ?? s.exclusiveMinimum)} max={bound(s.maximum ?? s.exclusiveMaximum)}
              step={s.multipleOf ?? (integer ? 1 : 'any')} onInput={(e) => set(f.path, (e.currentTarget as HTMLInputElement).value)} />
            {UNITS[f.name] && <span class="unit">{t(UNITS[f.name]!)}</span>}
          </span>
        );
      } else if (f.kind === 'date') {
        input = <input type="date" {...common} value={v} onInput={(e) => set(f.path, (e.currentTarget as HTMLInputElement).value)} />;
      } else {
        const list = suggestions?.[f.name];
        input = (
          <>
            <input type="text" autoComplete="off" spellcheck={false} {...common} value={v} maxLength={f.schema.maxLength}
              list={list?.length ? `${fieldId}-list` : undefined} onInput={(e) => set(f.path, (e.currentTarget as HTMLInputElement).value)} />
            {list?.length ? (
              <datalist id={`${fieldId}-list`}>
                {list.map((o) => <option key={o.value} value={o.value}>{o.label}</option>)}
              </datalist>
            ) : null}
          </>
        );
      }
      return (
        <div class={`field${err ? ' invalid' : ''}`} key={f.path}>
          <label for={fieldId}>{label}</label>
          {input}
          {error}
        </div>
      );
    });

  return (
    <form ref={formRef} id={id} class="schema-form" onSubmit={submit} noValidate>
      {children}
      {render(fields, values)}
      {refusal && <RefusalBox refusal={refusal} id={`${id}-refusal`} />}
      <div class="form-actions">
        <button class="primary" type="submit" disabled={busy}>
          {busy ? t('action.sending') : submitLabel}
        </button>
      </div>
    </form>
  );
}
