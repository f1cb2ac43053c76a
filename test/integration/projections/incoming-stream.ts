import { incomingEnvelope, incomingEvent, type IncomingEnvelope, type IncomingEvent } from '../../../domain/incoming/events';
import { incomingIdFor } from '../../../domain/incoming';
import type { OutgoingMessage } from '../../../infra/kafka/client';
import { signed } from './stream';

/**
 * A generated stream of incoming stays (incoming-events): every stage an incoming mobility can reach, missed
 * deadlines, a no-show and cancellations, as the incoming workflow publishes them (sequences from 0, signed).
 * Deterministic in its seed.
 */
export function generateIncomingStream(seed: number, tag: string, stays: number): IncomingEnvelope[] {
  let x = seed >>> 0;
  const rnd = (n: number) => ((x = (Math.imul(x, 1664525) + 1013904223) >>> 0) % n);
  const out: IncomingEnvelope[] = [];
  const at = (d: number) => new Date(Date.UTC(2026, 0, 5 + d, 9, rnd(60))).toISOString();
  const day = (d: number) => new Date(Date.UTC(2026, 0, 5 + d)).toISOString().slice(0, 10);
  for (let i = 1; i <= stays; i++) {
    const institutionId = `F-INRB${tag}${i % 3}`;
    const incomingId = incomingIdFor(institutionId, i);
    const scope = { incomingId, institutionId, siteId: i % 4 === 0 ? `${institutionId}-S1` : null };
    const actor = 'staff.incoming-rebuild';
    const student = i % 5 !== 0;
    const events: IncomingEvent[] = [incomingEvent('IncomingNominated', {
      actor, at: at(0), incomingId, institutionId, siteId: scope.siteId, participantRef: `P-INRB${tag}${i}`, kind: student ? 'student-studies' : 'staff-teaching',
      sendingOrgId: 'D-BERLIN-01', sendingCountry: 'DE', startDate: day(30), endDate: day(30 + 90), plannedDays: 91, durationRuleId: 'DUR-HE-SMS',
      agreement: student ? 'learning-agreement' : 'mobility-agreement', transcript: student,
    })];
    const path = rnd(6);
    if (path === 0) events.push(incomingEvent('IncomingCancelled', { actor, at: at(3), reasonCode: 'visa-refused', fromStage: 'nominated' }));
    if (path >= 1) events.push(incomingEvent('IncomingAgreementSigned', { actor, at: at(5), agreement: student ? 'learning-agreement' : 'mobility-agreement', signedOn: day(5), ectsPlanned: student ? 30 : null }));
    if (path === 1) events.push(incomingEvent('IncomingNoShowRecorded', { actor, at: at(40), plannedStartDate: day(30), daysAfterStart: 10, fromStage: 'agreed' }));
    if (path >= 2) events.push(incomingEvent('IncomingArrived', { actor, at: at(31), arrivedOn: day(31), plannedStartDate: day(30), daysShifted: 1 }));
    if (path >= 3) {
      if (path === 4) events.push(incomingEvent('IncomingDeadlineMissed', { actor: 'engine', at: at(125), deadline: 'certificate-of-attendance', dueOn: day(120), daysLate: 5 }));
      events.push(incomingEvent('IncomingAttendanceCertified', {
        actor, at: at(126), actualStartDate: day(31), actualEndDate: day(120), physicalDays: 90, issuedOn: day(126), dueOn: day(120), daysLate: path === 4 ? 6 : 0,
        transcriptDueOn: student ? day(155) : null,
      }));
    }
    if (path >= 4 && student) {
      if (path === 5) events.push(incomingEvent('IncomingDeadlineMissed', { actor: 'engine', at: at(160), deadline: 'transcript-of-records', dueOn: day(155), daysLate: 5 }));
      events.push(incomingEvent('IncomingTranscriptIssued', { actor, at: at(161), issuedOn: day(161), ects: 27.5, ectsPlanned: 30, dueOn: day(155), daysLate: path === 5 ? 6 : 0 }));
    }
    events.forEach((e, seq) => out.push(incomingEnvelope(e, scope, seq)));
  }
  return out;
}

export const asIncomingMessage = (e: IncomingEnvelope): OutgoingMessage =>
  signed(e.incomingId, JSON.stringify(e), { 'event-id': e.eventId, 'event-type': e.type, 'event-version': String(e.version) });
