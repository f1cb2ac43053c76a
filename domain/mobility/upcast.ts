import type { EventEnvelope } from '../envelope';
import { CURRENT_VERSION, EVENT_TYPES, type EventType, type MobilityEvent } from './events';

/**
 * Reading events: old versions are upcast on read (STYLE.md §4), one step at a time.
 * An upcaster turns the payload of version v into the payload of version v + 1.
 * A v2 adds `{ SomeEvent: { 1: (p) => ({ ...p, newField: null }) } }` (ApplicationSubmitted v2 below).
 */
export type Upcaster = (payload: Record<string, unknown>) => Record<string, unknown>;
export type Upcasters = Partial<Record<EventType, Readonly<Record<number, Upcaster>>>>;

export const UPCASTERS: Upcasters = {
  // v2: group and staff-course facts. A v1 application belonged to no group, had no accompanying person, course days or virtual component.
  ApplicationSubmitted: {
    1: (p) => ({ ...p, groupId: null, plan: { ...(p.plan as Record<string, unknown>), accompanyingPerson: false, courseDays: null, virtualComponent: null } }),
  },
  // v2: the learning outcomes recorded with the recognition. A v1 recognition recorded none.
  RecognitionRecorded: { 1: (p) => ({ ...p, learningOutcomes: [] }) },
  // v2: the co-funded shares. A v1 grant was the Erasmus+ grant alone, co-funded by no line.
  ParticipantSelected: { 1: (p) => ({ ...p, funding: [] }) },
  GrantRecalculated: { 1: (p) => ({ ...p, funding: [] }) },
  AttendanceCertified: { 1: (p) => ({ ...p, funding: [] }) },
  // v2: its ParticipantSelected and AttendanceCertified steps at v2 (no shares before co-funding).
  TakeOverRecorded: {
    1: (p) => ({
      ...p,
      steps: (p.steps as { type: string; version: number; payload: Record<string, unknown> }[]).map((step) =>
        (step.type === 'ParticipantSelected' || step.type === 'AttendanceCertified') && step.version === 1 ? { ...step, version: 2, payload: { ...step.payload, funding: [] } } : step),
    }),
  },
};

export type ParseFailure =
  | { readonly kind: 'unknown-type'; readonly type: string; readonly version: number }
  | { readonly kind: 'unknown-version'; readonly type: string; readonly version: number }
  | { readonly kind: 'invalid-payload'; readonly type: string; readonly version: number; readonly issues: string };

export const isParseFailure = (r: MobilityEvent | ParseFailure): r is ParseFailure => 'kind' in r;

const isKnownType = (type: string): type is EventType => Object.hasOwn(CURRENT_VERSION, type);

/** Apply the chain fromVersion → toVersion; null when a step is missing. */
export const upcast = (
  chain: Readonly<Record<number, Upcaster>>,
  fromVersion: number,
  toVersion: number,
  payload: Record<string, unknown>,
): Record<string, unknown> | null => {
  let p = payload;
  for (let v = fromVersion; v < toVersion; v++) {
    const step = chain[v];
    if (!step) return null;
    p = step(p);
  }
  return p;
};

/**
 * Envelope (or bare {type, version, payload}) → typed current-version event, or why not.
 * Newer versions than the engine knows and gaps in the upcaster chain are 'unknown-version'.
 */
export const parseEvent = (
  envelope: Pick<EventEnvelope, 'type' | 'version' | 'payload'>,
  upcasters: Upcasters = UPCASTERS,
): MobilityEvent | ParseFailure => {
  const { type, version } = envelope;
  if (!isKnownType(type)) return { kind: 'unknown-type', type, version };
  const target = CURRENT_VERSION[type];
  if (version > target || version < 1) return { kind: 'unknown-version', type, version };
  const payload = upcast(upcasters[type] ?? {}, version, target, envelope.payload);
  if (payload === null) return { kind: 'unknown-version', type, version };
  const schema = EVENT_TYPES.find((e) => e.type === type && e.version === target)!.schema;
  const parsed = schema.safeParse(payload);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(payload)'}: ${i.message}`).join('; ');
    return { kind: 'invalid-payload', type, version, issues };
  }
  return { type, version: target, payload: parsed.data } as MobilityEvent;
};
