import type { z } from 'zod';
import { projectEventIdFor, upcastProjectEvent } from '../../domain/budget/events';
import { eventIdFor } from '../../domain/envelope';
import type { IncomingMessage } from '../../infra/kafka/consumer';
import { signatureProblem, type SigningKeys } from '../../infra/kafka/signing';
import { TOPICS } from '../../infra/kafka/topics';
import { CURRENT_VERSION, type EventType } from '../../domain/mobility/events';
import { isParseFailure, parseEvent } from '../../domain/mobility/upcast';
import { EventEnvelope, latestVersion, OpenProjectEnvelope, PROJECT_SCHEMAS, schemaFor } from './registry';

export type MobilityEvent = EventEnvelope;
export type ProjectEventIn = z.infer<typeof OpenProjectEnvelope>;

export type RejectReason = 'bad-signature' | 'invalid-json' | 'invalid-envelope' | 'invalid-payload' | 'key-mismatch' | 'unknown-topic';
export type ParkReason = 'unknown-version' | 'unknown-type';

/** What a projector makes of one message. */
export type Decoded =
  | { kind: 'mobility'; event: MobilityEvent }
  | { kind: 'project'; event: ProjectEventIn }
  | { kind: 'reject'; reason: RejectReason; detail: string; eventId: string | null; type: string | null; version: number | null }
  | { kind: 'park'; reason: ParkReason; detail: string; eventId: string; type: string; version: number; knownVersion: number | null; envelope: Record<string, unknown> };

const issues = (e: z.ZodError): string => e.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');

const peek = (raw: unknown) => {
  const o = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
  return {
    eventId: typeof o.eventId === 'string' ? o.eventId : null,
    type: typeof o.type === 'string' ? o.type : null,
    version: typeof o.version === 'number' ? o.version : null,
  };
};

/**
 * The first check of every message of an event topic: the engine's signature (infra/kafka/signing.ts).
 * Null when it verifies; otherwise a reject ('bad-signature'), so an unsigned or forged envelope is
 * never judged by its sequence and can never take the place of the engine's event.
 */
export function checkSignature(m: Pick<IncomingMessage, 'key' | 'value' | 'headers'>, keys: SigningKeys, parsed?: Parsed): Extract<Decoded, { kind: 'reject' }> | null {
  const problem = signatureProblem(keys, m);
  if (problem === null) return null;
  // What it claims to be is only informative here.
  const p = parsed ?? parseValue(m);
  return { kind: 'reject', reason: 'bad-signature', detail: problem, ...peek(p.ok ? p.raw : null) };
}

/** A message's value read as JSON, once: decode, the integrity check and the dead letters share it. */
export type Parsed = { ok: true; raw: unknown } | { ok: false; error: string };

export function parseValue(m: Pick<IncomingMessage, 'value'>): Parsed {
  try {
    return { ok: true, raw: JSON.parse(m.value?.toString('utf8') ?? '') };
  } catch (e) {
    return { ok: false, error: (e as Error).message };
  }
}

/** What a projector reads of one message: its verdict and the JSON it parsed (for its stream position). */
export interface ReadMessage {
  d: Decoded;
  parsed: Parsed;
}

/**
 * The projector's one read of a message: its value parsed once, the signature checked over the raw
 * bytes first (a bad one is never decoded further), then decoded from the same parsed value.
 */
export function readMessage(m: Pick<IncomingMessage, 'topic' | 'key' | 'value' | 'headers'>, keys: SigningKeys): ReadMessage {
  const parsed = parseValue(m);
  return { d: checkSignature(m, keys, parsed) ?? decodeMessage(m, parsed), parsed };
}

/**
 * Validates a message of an event topic: JSON, envelope, key, then the payload against the schema
 * of its type and version. A well-formed envelope of a type or version this build does not know is
 * parked ('unknown-type' / 'unknown-version'), everything else that fails is rejected with a reason.
 */
export function decodeMessage(m: Pick<IncomingMessage, 'topic' | 'key' | 'value'>, parsed: Parsed = parseValue(m)): Decoded {
  if (!parsed.ok) return { kind: 'reject', reason: 'invalid-json', detail: parsed.error, eventId: null, type: null, version: null };
  const raw = parsed.raw;
  const p = peek(raw);
  if (m.topic === TOPICS.mobilityEvents.name) {
    const env = EventEnvelope.safeParse(raw);
    if (!env.success) return { kind: 'reject', reason: 'invalid-envelope', detail: issues(env.error), ...p };
    const e = env.data;
    if (e.eventId !== eventIdFor(e.mobilityId, e.sequence)) return { kind: 'reject', reason: 'invalid-envelope', detail: `eventId ${e.eventId} is not ${eventIdFor(e.mobilityId, e.sequence)}`, ...p };
    if (m.key !== null && m.key !== e.mobilityId) return { kind: 'reject', reason: 'key-mismatch', detail: `key ${m.key} is not the mobility id ${e.mobilityId}`, ...p };
    // Older versions are upcast to the current one (domain/mobility/upcast.ts).
    const parsed = parseEvent(e);
    if (isParseFailure(parsed)) {
      if (parsed.kind === 'invalid-payload') return { kind: 'reject', reason: 'invalid-payload', detail: parsed.issues, ...p };
      const known = CURRENT_VERSION[e.type as EventType] ?? null;
      const detail = parsed.kind === 'unknown-type' ? `event type ${e.type} is unknown to this projector` : `${e.type} v${e.version} is not readable by this projector (current v${known})`;
      return { kind: 'park', reason: parsed.kind, detail, eventId: e.eventId, type: e.type, version: e.version, knownVersion: known, envelope: e as unknown as Record<string, unknown> };
    }
    return { kind: 'mobility', event: { ...e, version: parsed.version, payload: parsed.payload as Record<string, unknown> } };
  }
  if (m.topic === TOPICS.projectEvents.name) {
    const env = OpenProjectEnvelope.safeParse(raw);
    if (!env.success) return { kind: 'reject', reason: 'invalid-envelope', detail: issues(env.error), ...p };
    const e = env.data;
    if (e.eventId !== projectEventIdFor(e.projectId, e.sequence)) return { kind: 'reject', reason: 'invalid-envelope', detail: `eventId ${e.eventId} is not ${projectEventIdFor(e.projectId, e.sequence)}`, ...p };
    if (m.key !== null && m.key !== e.projectId) return { kind: 'reject', reason: 'key-mismatch', detail: `key ${m.key} is not the project id ${e.projectId}`, ...p };
    const parked = unknown(PROJECT_SCHEMAS, e.type, e.version, e.eventId, e as unknown as Record<string, unknown>);
    if (parked) return parked;
    const payload = schemaFor(PROJECT_SCHEMAS, e.type, e.version)!.payload.safeParse(e.payload);
    if (!payload.success) return { kind: 'reject', reason: 'invalid-payload', detail: issues(payload.error), ...p };
    // Older versions are read as the current one (domain/budget/events.ts upcastProjectEvent).
    const current = upcastProjectEvent({ type: e.type, version: e.version, payload: payload.data as Record<string, unknown> });
    return { kind: 'project', event: { ...e, version: current.version, payload: current.payload } };
  }
  return { kind: 'reject', reason: 'unknown-topic', detail: `no projector reads ${m.topic}`, ...p };
}

function unknown(list: Parameters<typeof latestVersion>[0], type: string, version: number, eventId: string, envelope: Record<string, unknown>): Decoded | null {
  if (schemaFor(list, type, version)) return null;
  const known = latestVersion(list, type);
  if (known === undefined) return { kind: 'park', reason: 'unknown-type', detail: `event type ${type} is unknown to this projector`, eventId, type, version, knownVersion: null, envelope };
  if (version > known) return { kind: 'park', reason: 'unknown-version', detail: `${type} v${version} is newer than the known v${known}`, eventId, type, version, knownVersion: known, envelope };
  // An old version that is no longer registered cannot be read: that is a contract break, not a parking case.
  return { kind: 'park', reason: 'unknown-version', detail: `${type} v${version} is not registered (known up to v${known})`, eventId, type, version, knownVersion: known, envelope };
}
