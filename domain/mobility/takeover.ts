import type { Policy } from '../calendar/policy';
import { utcDateOf } from '../dates';
import type { CommandOf, MobilityCommand } from './commands';
import { type MobilityEvent, type TakeOverStep, mobilityEvent } from './events';
import { type Rejection, isRejection, reject } from './rejection';
import type { MobilityState } from './state';

type Decide = (command: MobilityCommand, state: MobilityState, policy: Policy) => MobilityEvent[] | Rejection;
type Evolve = (state: MobilityState, event: MobilityEvent) => MobilityState;

/** Midnight UTC of a date: the instant a fact dated that day is recorded at. */
const dayAt = (date: string) => `${date}T00:00:00.000Z`;
const STEP_TYPES = new Set<string>(['ParticipantSelected', 'AgreementSigned', 'DepartureConfirmed', 'AttendanceCertified', 'PaymentOrdered']);

/**
 * TakeOverMobility → TakeOverRecorded. A mobility under way is taken over by deciding, one after the other,
 * the very commands it stands for (selection, signature, departure, certificate of attendance, payments
 * made), each dated by its fact and under the same rules; the first refusal refuses the whole takeover
 * with that rule, prefixed by the step. Nothing may be dated after the takeover itself.
 */
export function takeOverMobility(c: CommandOf<'TakeOverMobility'>, state: MobilityState, policy: Policy, decide: Decide, evolve: Evolve): MobilityEvent[] | Rejection {
  if (state.stage !== 'applied') return reject('wrong-stage', `cannot take over the mobility: only a mobility just applied for is taken over (stage '${state.stage}')`);
  const today = utcDateOf(c.at);
  const at = c.stage;
  const needs = { agreement: at !== 'selected', departure: at === 'departed' || at === 'attended', attendance: at === 'attended' };
  if (needs.agreement !== (c.agreement !== null)) return reject('takeover-facts', `cannot take over the mobility at stage '${at}': the agreement's dates are ${needs.agreement ? 'required' : 'not expected'}`);
  if (needs.departure !== (c.departedOn !== null)) return reject('takeover-facts', `cannot take over the mobility at stage '${at}': the departure date is ${needs.departure ? 'required' : 'not expected'}`);
  if (needs.attendance !== (c.attendance !== null)) return reject('takeover-facts', `cannot take over the mobility at stage '${at}': the certificate of attendance's dates are ${needs.attendance ? 'required' : 'not expected'}`);
  if (needs.attendance !== (c.finalGrant !== null)) return reject('takeover-facts', `cannot take over the mobility at stage '${at}': a final grant is computed exactly when attendance is certified`);
  const dated: [string, string][] = [['selectedOn', c.selectedOn], ...c.payments.map((p, i): [string, string] => [`payments.${i}.paidOn`, p.paidOn])];
  if (c.agreement) dated.push(['agreement.participantSignedOn', c.agreement.participantSignedOn], ['agreement.institutionSignedOn', c.agreement.institutionSignedOn]);
  if (c.departedOn) dated.push(['departedOn', c.departedOn]);
  if (c.attendance) dated.push(['attendance.actualEndDate', c.attendance.actualEndDate]);
  const future = dated.find(([, d]) => d > today);
  if (future) return reject('invalid-dates', `cannot take over the mobility: ${future[0]} ${future[1]} is after the takeover date ${today}`);

  const base = (on: string) => ({ mobilityId: c.mobilityId, actor: c.actor, at: dayAt(on) });
  const plan: { label: string; command: MobilityCommand }[] = [{ label: 'selection', command: { type: 'SelectParticipant', ...base(c.selectedOn), estimatedGrant: c.estimatedGrant, funding: c.funding ?? [] } }];
  if (c.agreement) {
    const a = c.agreement;
    const signed = a.participantSignedOn > a.institutionSignedOn ? a.participantSignedOn : a.institutionSignedOn;
    plan.push({ label: 'agreement', command: { type: 'SignAgreement', ...base(signed), ...a } });
  }
  // Pre-financing is paid between the signature and the certificate; the balance after it.
  const paid = (kind: 'prefinancing' | 'balance') => c.payments.filter((p) => p.kind === kind)
    .map((p) => ({ label: `payment ${p.paymentId}`, command: { type: 'RecordPaymentOrdered' as const, ...base(p.paidOn), kind: p.kind, paymentId: p.paymentId, amountCents: p.amountCents } }));
  plan.push(...paid('prefinancing'));
  if (c.departedOn) plan.push({ label: 'departure', command: { type: 'ConfirmDeparture', ...base(c.departedOn), actualStartDate: c.departedOn } });
  if (c.attendance) plan.push({ label: 'certificate of attendance', command: { type: 'RecordCertificateOfAttendance', ...base(c.attendance.actualEndDate), ...c.attendance, finalGrant: c.finalGrant!, funding: c.finalFunding ?? [] } });
  plan.push(...paid('balance'));

  let s: MobilityState = state;
  const steps: TakeOverStep[] = [];
  for (const { label, command } of plan) {
    const d = decide(command, s, policy);
    if (isRejection(d)) return { ...d, reason: `cannot take over the mobility (${label}): ${d.reason.replace(/^cannot /, '')}` };
    for (const e of d) {
      if (!STEP_TYPES.has(e.type)) throw new Error(`takeover step ${label} emitted ${e.type}`);
      steps.push(e as TakeOverStep);
      s = evolve(s, e);
    }
  }
  if (s.stage !== at) return reject('takeover-facts', `cannot take over the mobility: the facts lead to stage '${s.stage}', not '${at}'`);
  return [mobilityEvent('TakeOverRecorded', { actor: c.actor, at: c.at, source: c.source, stage: at, steps })];
}
