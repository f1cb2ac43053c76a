import type { MobilityEvent } from './decode';

/**
 * A mobility taken over under way (TakeOverRecorded) carries the lifecycle events it went through elsewhere
 * as its steps. Projections fold those steps as they fold the same events, under the takeover's envelope
 * (its event id, sequence and time), so budget and quality figures count taken-over mobilities like the others.
 */
export function withTakeOverSteps(events: readonly MobilityEvent[]): MobilityEvent[] {
  if (!events.some((e) => e.type === 'TakeOverRecorded')) return events as MobilityEvent[];
  return events.flatMap((e) => {
    if (e.type !== 'TakeOverRecorded') return [e];
    const steps = (e.payload as { steps: { type: string; version: number; payload: Record<string, unknown> }[] }).steps;
    return [e, ...steps.map((s) => ({ ...e, type: s.type, version: s.version, payload: s.payload }) as MobilityEvent)];
  });
}
