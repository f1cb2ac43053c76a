import type { IncomingDeadline } from './commands';
import type { IncomingKind } from './kinds';
import type { IncomingStage } from './lifecycle';

/** What the receiving side knows of one incoming mobility, folded from its events (evolve.ts). */
export interface IncomingIdentity {
  readonly incomingId: string;
  readonly institutionId: string;
  readonly siteId: string | null;
  readonly participantRef: string;
  readonly kind: IncomingKind;
  readonly sendingOrgId: string;
  readonly sendingCountry: string;
}

export interface OpenIncoming {
  readonly stage: Exclude<IncomingStage, 'none'>;
  readonly identity: IncomingIdentity;
  readonly plan: { readonly startDate: string; readonly endDate: string; readonly plannedDays: number };
  readonly agreement: { readonly signedOn: string; readonly ectsPlanned: number | null } | null;
  readonly arrival: { readonly arrivedOn: string } | null;
  readonly certificate: { readonly actualStartDate: string; readonly actualEndDate: string; readonly issuedOn: string; readonly transcriptDueOn: string | null } | null;
  readonly transcript: { readonly issuedOn: string; readonly ects: number } | null;
  /** Due dates recorded as missed (each once). */
  readonly missed: readonly IncomingDeadline[];
}

export type IncomingState = { readonly stage: 'none' } | OpenIncoming;

export const initialIncomingState: IncomingState = { stage: 'none' };
