import { readFileSync } from 'node:fs';
import type { Client } from '@temporalio/client';
import type pg from 'pg';
import { addDays } from '../../../domain/dates';
import type { Config } from '../../../infra/config';
import { inboxFile } from '../../../infra/stack/mail';
import { mobility, registerProject, startMobility } from '../../../workflows/client';
import type { StartMobilityInput } from '../../../workflows/messages';
import { uniq } from '../../support/env';

export const today = (ms = Date.now()) => new Date(ms).toISOString().slice(0, 10);

/** A fresh project id and its mobility ids. */
export function newProject() {
  const projectId = `2024-1-FR01-KA131-HED-${uniq()}`;
  return { projectId, mobilityId: (n: number) => `${projectId}-MOB-${String(n).padStart(5, '0')}` };
}

/** A five-month HE study mobility (FR → DE) starting `leadDays` after `from`, at the 2024 rates (600 €/month, 800 km). */
export function studyApplication(mobilityId: string, projectId: string, from: string, opts: { leadDays?: number; months?: number; participantRef?: string; policy?: Record<string, unknown> } = {}): StartMobilityInput {
  const startDate = addDays(from, opts.leadDays ?? 40);
  const endDate = addDays(startDate, 30 * (opts.months ?? 5) - 1);
  return {
    mobilityId, projectId, institutionId: 'F-PARIS-001', consortiumId: null, actor: 'staff.io-1',
    participantRef: opts.participantRef ?? `P-${uniq()}`, activity: 'HE-SMS', funderLineId: 'erasmus',
    plan: { startDate, endDate, receivingCountry: 'DE', sendingCountry: 'FR', hostOrgId: 'D-BERLIN-01', distanceKm: 800, greenTravel: false, fewerOpportunities: false },
    rates: { callYear: 2024, rates: { monthlyEur: 600 } },
    policy: opts.policy ?? {},
  };
}

export const erasmusLine = (allocatedCents: number, allocatedMobilities = 10) => [{ lineId: 'erasmus', funder: 'Erasmus+ KA131', allocatedCents, allocatedMobilities }];

export async function addContacts(pool: pg.Pool, participantRef: string, institutionId = 'F-PARIS-001') {
  await pool.query('INSERT INTO participant_contacts (participant_ref, email, display_name) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [participantRef, `${participantRef.toLowerCase()}@student.example.org`, 'Alex Martin']);
  // The test's own coordinator address, whatever another test (the demo) wrote for the same institution.
  await pool.query('INSERT INTO coordinator_contacts (institution_id, email) VALUES ($1, $2) ON CONFLICT (institution_id) DO UPDATE SET email = excluded.email', [institutionId, `erasmus-office@${institutionId.toLowerCase()}.example.org`]);
}

export interface InboxMail { to: string[]; messageId: string | null; subject: string | null; headers: Record<string, string> }

/** Mails the stack's SMTP sink received for one mobility. */
export function mailsFor(cfg: Config, mobilityId: string): InboxMail[] {
  let text = '';
  try {
    text = readFileSync(inboxFile(cfg), 'utf8');
  } catch {
    return [];
  }
  return text.split("\n").filter(Boolean).map((l) => JSON.parse(l) as InboxMail).filter((m) => m.headers["x-mobility-id"]?.trim() === mobilityId).map((m) => ({ ...m, messageId: m.messageId?.trim() ?? null }));
}

/** A fresh project with one Erasmus+ line, and its first mobility (a five-month study) started with contacts on file. */
export async function startStudyMobility(client: Client, taskQueue: string, pool: pg.Pool, from: string) {
  const { projectId, mobilityId } = newProject();
  const id = mobilityId(1);
  await registerProject(client, taskQueue, { projectId, institutionId: 'F-PARIS-001', lines: erasmusLine(2_000_000, 4) });
  const app = studyApplication(id, projectId, from);
  await addContacts(pool, app.participantRef);
  await startMobility(client, taskQueue, app);
  return { projectId, id, app, m: mobility(client, id) };
}
