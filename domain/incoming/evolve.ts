import type { IncomingEvent } from './events';
import { INCOMING_EMITTED_BY, incomingAllows, incomingStageAfter } from './lifecycle';
import type { IncomingState, OpenIncoming } from './state';

/**
 * Applies one event (pure). An event that cannot follow the current stage (by the lifecycle table)
 * is a programming error: evolve throws rather than fold an impossible history.
 */
export function evolveIncoming(state: IncomingState, event: IncomingEvent): IncomingState {
  if (!incomingAllows(state.stage, INCOMING_EMITTED_BY[event.type])) throw new Error(`${event.type} cannot follow stage '${state.stage}'`);
  if (event.type === 'IncomingNominated') {
    const p = event.payload;
    return {
      stage: 'nominated',
      identity: { incomingId: p.incomingId, institutionId: p.institutionId, siteId: p.siteId, participantRef: p.participantRef, kind: p.kind, sendingOrgId: p.sendingOrgId, sendingCountry: p.sendingCountry },
      plan: { startDate: p.startDate, endDate: p.endDate, plannedDays: p.plannedDays },
      agreement: null, arrival: null, certificate: null, transcript: null, missed: [],
    };
  }
  const s = state as OpenIncoming;
  const stage = incomingStageAfter(event.type, s.stage) as OpenIncoming['stage'];
  switch (event.type) {
    case 'IncomingAgreementSigned':
      return { ...s, stage, agreement: { signedOn: event.payload.signedOn, ectsPlanned: event.payload.ectsPlanned } };
    case 'IncomingArrived':
      return { ...s, stage, arrival: { arrivedOn: event.payload.arrivedOn } };
    case 'IncomingAttendanceCertified': {
      const p = event.payload;
      return { ...s, stage, certificate: { actualStartDate: p.actualStartDate, actualEndDate: p.actualEndDate, issuedOn: p.issuedOn, transcriptDueOn: p.transcriptDueOn } };
    }
    case 'IncomingTranscriptIssued':
      return { ...s, stage, transcript: { issuedOn: event.payload.issuedOn, ects: event.payload.ects } };
    case 'IncomingCancelled':
    case 'IncomingNoShowRecorded':
      return { ...s, stage };
    case 'IncomingDeadlineMissed':
      return { ...s, missed: [...s.missed, event.payload.deadline] };
    default: {
      const never: never = event;
      throw new Error(`unknown event ${(never as { type: string }).type}`);
    }
  }
}

export const foldIncoming = (events: readonly IncomingEvent[], from: IncomingState = { stage: 'none' }): IncomingState => events.reduce(evolveIncoming, from);
