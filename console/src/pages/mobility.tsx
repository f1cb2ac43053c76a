import { useLocation, useRoute } from 'preact-iso';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, type Breakdown, type DocumentRow, type Funding, download, get, type MobilityDetail, post, type RecognitionRecords, sendFile } from '../api';
import { SchemaForm } from '../forms';
import { date, dateTime, euros, has, t, tv } from '../i18n';
import { type JsonSchema, requestSchema } from '../openapi';
import { useSession } from '../session';
import { ErrorNote, Loading, Stage, useData, usePageTitle } from '../util';
import { grantLineText } from '../server-text';
import { BadgeRevocation } from './badge-revoke';

/**
 * One mobility as its workflow answers it: stage, dates, grant lines, payments, documents,
 * deadlines and timeline; and the actions the server offers this user now, each as a form
 * generated from the action's request schema in the OpenAPI document.
 */
export function MobilityPage() {
  const { params } = useRoute();
  const id = params.id!;
  usePageTitle(t('mobility.title', { id }));
  const { query } = useLocation();
  const { data, error, reload } = useData(() => get<MobilityDetail>(`/api/mobilities/${encodeURIComponent(id)}`), [id]);
  const [open, setOpen] = useState<string | null>(query.action ?? null);
  const [done, setDone] = useState<string | null>(null);
  const { options } = useSession();
  const doneRef = useRef<HTMLParagraphElement>(null);
  useEffect(() => {
    // The outcome of an action is said where the user looks: brought into view and focused.
    if (done) {
      doneRef.current?.scrollIntoView({ block: 'nearest' });
      doneRef.current?.focus();
    }
  }, [done]);

  if (error) {
    return error instanceof ApiError && error.status === 404 ? <p class="msg error" role="alert">{t('refusal.not-found')}</p> : <ErrorNote error={error} />;
  }
  if (!data) return <Loading />;
  const s = data.state;
  const offered = data.actions.filter((a) => a.allowed);
  const instName = (i: string) => options.institutions.find((x) => x.id === i)?.name ?? i;

  const afterAction = async (stage: string) => {
    // Show the page as the workflow now answers it before saying it is done (never a stale detail).
    for (let i = 0; i < 5; i++) {
      const now = await get<MobilityDetail>(`/api/mobilities/${encodeURIComponent(id)}`);
      if (now.stage === stage) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    await reload();
    setOpen(null);
    setDone(t('action.done', { stage: tv('stage', stage) }));
  };

  return (
    <article aria-labelledby="mobility-title" class="mobility">
      <header class="page-head">
        <h1 id="mobility-title">{t('mobility.title', { id })}</h1>
        <Stage stage={data.stage} />
      </header>
      {done && <p class="msg info" role="status" tabIndex={-1} ref={doneRef} data-testid="action-done">{done}</p>}

      <section class="card" aria-labelledby="actions-title">
        <h2 id="actions-title">{t('action.available')}</h2>
        {offered.length === 0 ? <p class="muted">{t('action.none')}</p> : (
          <ul class="actions">
            {offered.map((a) => (
              <li key={a.name}>
                <button type="button" aria-expanded={open === a.name} aria-controls={`form-${a.name}`} class={open === a.name ? 'primary' : ''}
                  onClick={() => { setDone(null); setOpen(open === a.name ? null : a.name); }} data-action={a.name}>
                  {tv('action', a.name)}
                </button>
              </li>
            ))}
          </ul>
        )}
        {open && offered.some((a) => a.name === open) && (
          <ActionForm key={open} mobilityId={id} action={open} initial={initialFor(open, s)} onDone={afterAction} />
        )}
      </section>

      <div class="cols">
        <section class="card" aria-labelledby="identity-title">
          <h2 id="identity-title">{t('mobility.identity')}</h2>
          <dl class="facts">
            <dt>{t('field.participantRef')}</dt><dd>{s.identity?.participantRef ?? t('common.dash')}</dd>
            <dt>{t('field.projectId')}</dt><dd>{s.identity?.projectId}</dd>
            <dt>{t('field.institutionId')}</dt><dd>{instName(s.identity?.institutionId)}{s.identity?.siteId ? ` · ${s.identity.siteId}` : ''}</dd>
            {s.identity?.consortiumId && <><dt>{t('field.consortiumId')}</dt><dd>{s.identity.consortiumId}</dd></>}
            <dt>{t('field.activity')}</dt><dd>{tv('activity', s.identity?.activity)}</dd>
            <dt>{t('field.funderLineId')}</dt><dd>{s.identity?.funderLineId}</dd>
            <dt>{t('mobility.host')}</dt><dd>{s.plan?.hostOrgId} ({s.plan?.sendingCountry} → {s.plan?.receivingCountry})</dd>
            <dt>{t('pipeline.flags')}</dt>
            <dd>
              {s.plan?.fewerOpportunities ? <span class="flag">{t('pipeline.fewer')}</span> : null}
              {s.plan?.greenTravel ? <span class="flag green">{t('pipeline.green')}</span> : null}
              {!s.plan?.fewerOpportunities && !s.plan?.greenTravel ? t('common.dash') : null}
            </dd>
          </dl>
        </section>
        <section class="card" aria-labelledby="dates-title">
          <h2 id="dates-title">{t('mobility.dates')}</h2>
          <table class="compact">
            <thead><tr><th scope="col"><span class="sr-only">{t('mobility.dates')}</span></th><th scope="col">{t('field.startDate')}</th><th scope="col">{t('field.endDate')}</th></tr></thead>
            <tbody>
              <tr><th scope="row">{t('mobility.planned')}</th><td>{date(s.plan?.startDate)}</td><td>{date(s.plan?.endDate)}</td></tr>
              <tr><th scope="row">{t('mobility.actual')}</th><td>{date(s.attendance?.actualStartDate ?? s.departure?.actualStartDate)}</td><td>{date(s.attendance?.actualEndDate)}</td></tr>
            </tbody>
          </table>
          {s.interruptions?.length > 0 && (
            <p>{t('mobility.interruptions')}: {s.interruptions.map((i: { from: string; to: string }) => `${date(i.from)} – ${date(i.to)}`).join(', ')}</p>
          )}
        </section>
      </div>

      <section class="card" aria-labelledby="grant-title">
        <h2 id="grant-title">{t('mobility.grant')}</h2>
        {data.grant.final && <GrantTable title={t('mobility.final')} b={data.grant.final} />}
        {data.grant.estimated && !data.grant.final && <GrantTable title={t('mobility.estimated')} b={data.grant.estimated} />}
        {!data.grant.final && !data.grant.estimated && <p class="muted">{t('common.dash')}</p>}
        {data.grant.funding && <FundingTable funding={data.grant.funding} />}
        {data.grant.payments && (
          <>
            <h3>{t('mobility.payments')}</h3>
            <dl class="facts">
              <dt>{t('mobility.prefinancing')}</dt><dd>{euros(data.grant.payments.prefinancingCents)}</dd>
              <dt>{t('mobility.balance')}</dt><dd>{euros(data.grant.payments.balanceCents)}</dd>
              <dt>{t('mobility.recovered')}</dt><dd>{euros(data.grant.payments.recoveredCents)}</dd>
              <dt>{t('mobility.budgetHold')}</dt><dd>{euros(data.grant.budget.heldCents)} ({data.grant.budget.lineId})</dd>
            </dl>
            {data.grant.payments.orders.length > 0 && (
              <table class="compact" data-testid="payment-orders">
                <caption>{t('mobility.orders')}</caption>
                <thead><tr><th scope="col">{t('mobility.when')}</th><th scope="col">{t('mobility.what')}</th><th scope="col" class="num">{t('mobility.amount')}</th><th scope="col">{t('mobility.reference')}</th></tr></thead>
                <tbody>
                  {data.grant.payments.orders.map((o) => (
                    <tr key={o.paymentId}><td>{dateTime(o.at)}</td><td>{tv('paymentKind', o.kind)}</td><td class="num">{euros(o.amountCents)}</td><td><code>{o.paymentId}</code></td></tr>
                  ))}
                </tbody>
              </table>
            )}
          </>
        )}
      </section>

      <div class="cols">
        <section class="card" aria-labelledby="docs-title">
          <h2 id="docs-title">{t('mobility.documents')}</h2>
          <dl class="facts">
            <dt>{t('mobility.agreement')}</dt>
            <dd>{s.agreement ? t('mobility.signedOn', { date: date(s.agreement.institutionSignedOn > s.agreement.participantSignedOn ? s.agreement.institutionSignedOn : s.agreement.participantSignedOn) }) : t('mobility.pending')}</dd>
            <dt>{t('mobility.certificate')}</dt><dd>{s.attendance ? t('mobility.receivedOn', { date: date(s.attendance.actualEndDate) }) : t('mobility.pending')}</dd>
            <dt>{t('mobility.report')}</dt><dd>{s.report ? t('mobility.receivedOn', { date: date(s.report.submittedOn) }) : t('mobility.pending')}</dd>
            <dt>{t('mobility.transcript')}</dt><dd>{s.transcript ? `${t('mobility.receivedOn', { date: date(s.transcript.receivedOn) })} · ${s.transcript.ects} ECTS` : t('mobility.pending')}</dd>
            <dt>{t('mobility.recognition')}</dt><dd>{s.recognition ? tv('code', s.recognition.outcome) : t('mobility.pending')}</dd>
            <dt>{t('mobility.olsBefore')}</dt><dd>{s.ols?.before ? `${s.ols.before.language} ${s.ols.before.level}` : t('mobility.pending')}</dd>
            <dt>{t('mobility.olsAfter')}</dt><dd>{s.ols?.after ? `${s.ols.after.language} ${s.ols.after.level}` : t('mobility.pending')}</dd>
          </dl>
          <RecordDownloads mobilityId={id} stage={data.stage} />
          <DocumentsPanel mobilityId={id} stage={data.stage} documents={(s.documents ?? []) as DocumentRow[]} onChange={reload} />
        </section>
        <section class="card" aria-labelledby="deadlines-title">
          <h2 id="deadlines-title">{t('mobility.deadlines')}</h2>
          {data.deadlines.deadlines.length === 0 ? <p class="muted">{t('common.none')}</p> : (
            <table class="compact" data-testid="deadlines">
              <thead><tr><th scope="col">{t('worklist.kind')}</th><th scope="col">{t('worklist.due')}</th><th scope="col">{t('mobility.status')}</th></tr></thead>
              <tbody>
                {data.deadlines.deadlines.map((d) => (
                  <tr key={d.id}>
                    <td>{tv('deadline', d.id)}</td>
                    <td>{date(d.dueDate)}</td>
                    <td>{tv('deadlineStatus', d.status)}{d.daysLate > 0 ? ` · ${t('common.daysLate', { count: d.daysLate })}` : ''}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
      </div>

      <section class="card" aria-labelledby="timeline-title">
        <h2 id="timeline-title">{t('mobility.timeline')}</h2>
        <ol class="timeline">
          {[...data.audit].reverse().map((e, i) => (
            <li key={i} class={`outcome-${e.outcome}`}>
              <time dateTime={e.at}>{dateTime(e.at)}</time>
              <span class="what">{auditLabel(e.action)}</span>
              <span class="muted"> · {tv('outcome', e.outcome)} · {t('mobility.actor')} {actorLabel(e.actor)}</span>
            </li>
          ))}
        </ol>
      </section>
    </article>
  );
}

/** The audit names a staff action by its name, or a timer by "<kind>.<deadline>". */
function auditLabel(action: string): string {
  if (has(`action.${action}`)) return tv('action', action);
  if (has(`audit.${action}`)) return tv('audit', action);
  const [kind, deadline] = action.split('.');
  if (kind && deadline && has(`deadline.${deadline}`)) {
    const what = has(`reminderKind.${kind}`) ? tv('reminderKind', kind) : has(`audit.${kind}`) ? tv('audit', kind) : kind;
    return `${what} · ${tv('deadline', deadline)}`;
  }
  return action;
}

/** Who did it: a staff member's name as is; the engine and outside parties in words. */
const actorLabel = (actor: string): string => (actor.startsWith('system') ? t('audit.system') : actor.startsWith('external') ? t('audit.external') : actor);

/** Values the page already knows for a form (e.g. the departure date for the certificate); never invented ones. */
function initialFor(action: string, s: Record<string, any>): Record<string, unknown> {
  if (action === 'recordCertificateOfAttendance') return { actualStartDate: s.departure?.actualStartDate };
  return {};
}

/** A grant line worded in the user's language from its rule id and parameters (the server's English when it sent none). */
function GrantLineRow({ l }: { l: Breakdown['lines'][number] }) {
  const x = grantLineText(l);
  const lang = x.translated ? undefined : 'en';
  return <tr><td><code title={x.rule ?? undefined}>{l.ruleId}</code></td><td lang={lang}>{x.item}</td><td class="num">{euros(l.amountCents)}</td><td class="muted" lang={lang} data-testid="grant-basis">{x.basis}</td></tr>;
}

/**
 * A co-funded mobility's "Funding" table: each line's share by its rule, with the server's basis (in English: the
 * domain words it), and what the budget guard holds on the line. Nothing is computed here.
 */
function FundingTable({ funding }: { funding: Funding }) {
  const final = funding.final.length > 0;
  const shares = final ? funding.final : funding.estimated;
  if (shares.length === 0) return null;
  const held = (lineId: string) => funding.held.find((h) => h.lineId === lineId)?.heldCents ?? 0;
  const first = (i: number) => shares.findIndex((x) => x.lineId === shares[i]!.lineId) === i;
  return (
    <section aria-labelledby="funding-title" data-testid="funding">
      <h3 id="funding-title">{t('mobility.funding')}</h3>
      <p class="muted">{t('mobility.funding.hint')}</p>
      <table data-testid="funding-shares">
        <caption>{final ? t('mobility.funding.final') : t('mobility.funding.estimated')}</caption>
        <thead><tr>
          <th scope="col">{t('mobility.funding.line')}</th><th scope="col">{t('mobility.funding.funder')}</th><th scope="col">{t('mobility.rule')}</th>
          <th scope="col" class="num">{t('mobility.amount')}</th><th scope="col">{t('mobility.basis')}</th><th scope="col" class="num">{t('mobility.funding.held')}</th>
        </tr></thead>
        <tbody>
          {shares.map((x, i) => (
            <tr key={`${x.lineId}-${i}`}>
              <td><code>{x.lineId}</code></td><td>{x.funder}</td><td><code>{x.ruleId}</code></td><td class="num">{euros(x.amountCents)}</td>
              <td class="muted" lang="en">{x.basis}</td><td class="num">{first(i) ? euros(held(x.lineId)) : ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function GrantTable({ title, b }: { title: string; b: Breakdown }) {
  return (
    <table data-testid="grant-lines">
      <caption>{title}</caption>
      <thead><tr><th scope="col">{t('mobility.rule')}</th><th scope="col">{t('mobility.item')}</th><th scope="col" class="num">{t('mobility.amount')}</th><th scope="col">{t('mobility.basis')}</th></tr></thead>
      <tbody>
        {b.lines.map((l) => (
          <GrantLineRow key={l.ruleId + l.item} l={l} />
        ))}
      </tbody>
      <tfoot><tr><th scope="row" colSpan={2}>{t('mobility.totalGrant')}</th><td class="num"><strong>{euros(b.totalCents)}</strong></td><td /></tr></tfoot>
    </table>
  );
}

function ActionForm({ mobilityId, action, initial, onDone }: { mobilityId: string; action: string; initial: Record<string, unknown>; onDone: (stage: string) => Promise<void> }) {
  const [schema, setSchema] = useState<JsonSchema | null>(null);
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    void requestSchema(`action_${action}`).then(setSchema);
  }, [action]);
  useEffect(() => {
    if (schema) {
      ref.current?.scrollIntoView({ block: 'nearest' });
      ref.current?.querySelector<HTMLElement>('input, select, button[type=submit]')?.focus();
    }
  }, [schema]);
  if (!schema) return <Loading />;
  return (
    <div class="action-form" id={`form-${action}`} ref={ref}>
      <h3>{tv('action', action)}</h3>
      <SchemaForm id={`action-${action}`} schema={schema} initial={initial} submitLabel={tv('action', action)}
        onSubmit={async (body) => {
          const r = await post<{ stage: string }>(`/api/mobilities/${encodeURIComponent(mobilityId)}/actions/${action}`, body);
          await onDone(r.stage);
        }} />
    </div>
  );
}

/** The recognition records the server says this mobility has (Europass Mobility, open badge, career record), as download buttons. */
function RecordDownloads({ mobilityId, stage }: { mobilityId: string; stage: string }) {
  const { data, error, reload } = useData(() => get<RecognitionRecords>(`/api/mobilities/${encodeURIComponent(mobilityId)}/records`), [mobilityId, stage]);
  const [failed, setFailed] = useState<unknown>(null);
  // Records that could not be listed are said so (with the reason), not silently left out.
  if (error && !data) return <div class="records" data-testid="recognition-records-error"><ErrorNote error={error} /></div>;
  const shown = data?.records.filter((r) => r.available) ?? [];
  if (shown.length === 0) return null;
  return (
    <div class="records" data-testid="recognition-records">
      <h3>{t('records.title')}</h3>
      <ul style={{ listStyle: 'none', padding: 0, margin: 0, display: 'flex', flexWrap: 'wrap', gap: '0.5rem' }}>
        {shown.map((r) => (
          <li key={r.kind}>
            <button type="button" disabled={!r.allowed} title={r.allowed ? undefined : r.reason ?? undefined} data-record={r.kind}
              onClick={() => { setFailed(null); download(r.href, `${r.kind}-${mobilityId}`).catch(setFailed); }}>
              {t(`records.${r.kind}`)}
            </button>
          </li>
        ))}
      </ul>
      {shown.some((r) => !r.allowed) && <p class="muted">{t('records.registryOnly')}</p>}
      {shown.filter((r) => r.kind === 'open-badge').map((r) => <BadgeRevocation key="revoke" mobilityId={mobilityId} record={r} onRevoked={reload} />)}
      {failed ? <ErrorNote error={failed} /> : null}
    </div>
  );
}

const DOCUMENT_KINDS = ['grant-agreement', 'learning-agreement', 'certificate-of-attendance', 'transcript-of-records', 'report-confirmation', 'europass'] as const;
const size = (bytes: number) => (bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MiB` : `${Math.max(1, Math.round(bytes / 1024))} KiB`);

/** The mobility's proofs (kind, size, short hash, who, when, download), an upload form per kind, and a host link to copy. */
function DocumentsPanel({ mobilityId, stage, documents, onChange }: { mobilityId: string; stage: string; documents: DocumentRow[]; onChange: () => Promise<void> | void }) {
  const [failed, setFailed] = useState<unknown>(null);
  const [note, setNote] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [hostLink, setHostLink] = useState<string | null>(null);
  const [copied, setCopied] = useState(false);
  const base = `/api/mobilities/${encodeURIComponent(mobilityId)}`;
  const upload = async (e: Event) => {
    e.preventDefault();
    const data = new FormData(e.currentTarget as HTMLFormElement);
    setBusy(true);
    setFailed(null);
    setNote(null);
    try {
      await sendFile(`${base}/documents?kind=${encodeURIComponent(String(data.get('kind')))}`, data.get('file') as File);
      await onChange();
      setNote(t('doc.attached'));
      (e.target as HTMLFormElement).reset();
    } catch (err) {
      setFailed(err);
    } finally {
      setBusy(false);
    }
  };
  const makeHostLink = async () => {
    setFailed(null);
    try {
      const r = await post<{ url: string }>(`${base}/links`, { audience: 'host', purpose: 'certificate-of-attendance' });
      setHostLink(r.url);
      setCopied(false);
    } catch (err) {
      setFailed(err);
    }
  };
  return (
    <div class="documents" data-testid="documents">
      <h3>{t('doc.title')}</h3>
      {documents.length === 0 ? <p class="muted">{t('doc.none')}</p> : (
        <table>
          <thead><tr><th scope="col">{t('doc.kind')}</th><th scope="col">{t('doc.size')}</th><th scope="col">{t('doc.sha256')}</th><th scope="col">{t('doc.by')}</th><th scope="col">{t('doc.at')}</th><th scope="col"><span class="sr-only">{t('doc.download')}</span></th></tr></thead>
          <tbody>
            {documents.map((d) => (
              <tr key={d.documentId}>
                <td>{tv('docKind', d.kind)}</td>
                <td>{size(d.byteSize)}</td>
                <td><code title={d.sha256}>{d.sha256.slice(0, 12)}…</code></td>
                <td>{d.attachedBy}</td>
                <td>{dateTime(d.attachedAt)}</td>
                <td><button type="button" onClick={() => { setFailed(null); download(`${base}/documents/${d.documentId}`, d.documentId).catch(setFailed); }}>{t('doc.download')}</button></td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <form onSubmit={upload} class="inline-form" aria-label={t('doc.upload')}>
        <label>{t('doc.kind')}
          <select name="kind" required>{DOCUMENT_KINDS.map((k) => <option key={k} value={k}>{tv('docKind', k)}</option>)}</select>
        </label>
        <label>{t('doc.file')}<input type="file" name="file" required accept="application/pdf,image/png,image/jpeg" /></label>
        <button type="submit" disabled={busy}>{t('doc.send')}</button>
      </form>
      {note && <p class="msg info" role="status">{note}</p>}
      {(stage === 'agreed' || stage === 'departed') && (
        <div class="host-link">
          <h4>{t('doc.hostLink')}</h4>
          <p class="muted">{t('doc.hostLinkIntro')}</p>
          {hostLink ? (
            <p>
              <input type="text" readOnly value={hostLink} aria-label={t('doc.hostLink')} size={40} />
              <button type="button" onClick={() => { void navigator.clipboard?.writeText(hostLink).then(() => setCopied(true)); }}>{copied ? t('doc.copied') : t('doc.copy')}</button>
            </p>
          ) : <button type="button" onClick={makeHostLink}>{t('doc.makeHostLink')}</button>}
        </div>
      )}
      {failed ? <ErrorNote error={failed} /> : null}
    </div>
  );
}
