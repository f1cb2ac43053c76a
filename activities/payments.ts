import { ApplicationFailure } from '@temporalio/activity';
import type pg from 'pg';
import { z } from 'zod';
import { IsoDate, MobilityId, ParticipantRef, ProjectId } from '../domain/ids';
import { Cents } from '../domain/money';
import { PaymentKind, paymentIdFor } from '../domain/mobility/codes';

/**
 * Payment orders to participants (pre-financing, balance, recovery), written idempotently:
 * idempotency key = the domain's payment id (`${mobilityId}:${kind}:${sequence}`), a unique constraint in Postgres.
 * A retried activity inserts nothing new and returns the existing order; a retry that carries a
 * different amount for the same key is a bug and fails without retrying.
 */
export const PaymentOrderRequest = z.strictObject({
  mobilityId: MobilityId,
  projectId: ProjectId,
  participantRef: ParticipantRef,
  kind: PaymentKind,
  sequence: z.int().min(1),
  amountCents: Cents.positive(),
  dueDate: IsoDate,
  basis: z.string().min(1),
});
export type PaymentOrderRequest = z.infer<typeof PaymentOrderRequest>;

export interface PaymentOrderResult {
  idempotencyKey: string;
  created: boolean;
}

export function createPaymentActivities(deps: { pool: pg.Pool; faults?: { afterInsert?(req: PaymentOrderRequest): void } }) {
  return {
    async writePaymentOrder(raw: PaymentOrderRequest): Promise<PaymentOrderResult> {
      const r = PaymentOrderRequest.parse(raw);
      const key = paymentIdFor(r.mobilityId, r.kind, r.sequence);
      const ins = await deps.pool.query(
        `INSERT INTO payment_orders (idempotency_key, mobility_id, project_id, participant_ref, kind, sequence, amount_cents, due_date, basis)
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9) ON CONFLICT DO NOTHING RETURNING idempotency_key`,
        [key, r.mobilityId, r.projectId, r.participantRef, r.kind, r.sequence, r.amountCents, r.dueDate, r.basis],
      );
      deps.faults?.afterInsert?.(r);
      if (ins.rowCount === 1) return { idempotencyKey: key, created: true };
      const { rows } = await deps.pool.query<{ amount_cents: number }>('SELECT amount_cents FROM payment_orders WHERE idempotency_key = $1', [key]);
      if (rows[0]?.amount_cents !== r.amountCents) {
        throw ApplicationFailure.nonRetryable(`payment order ${key} already exists with ${rows[0]?.amount_cents} cents, not ${r.amountCents}`, 'PaymentOrderConflict');
      }
      return { idempotencyKey: key, created: false };
    },
  };
}
