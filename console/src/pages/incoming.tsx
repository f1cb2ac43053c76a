import { useLocation } from 'preact-iso';
import { useEffect, useState } from 'preact/hooks';
import { get, post } from '../api';
import { SchemaForm } from '../forms';
import { date, dateTime, t, tv } from '../i18n';
import { type JsonSchema, requestSchema } from '../openapi';
import { useSession } from '../session';
import { ErrorNote, Loading, useData, usePageTitle } from '../util';

/** What GET /api/incoming answers (workers/api/incoming.ts). */
interface IncomingRow {
  incomingId: string; institutionId: string; siteId: string | null; participantRef: string | null; kind: string; sendingOrgId: string | null;
  sendingCountry: string | null; startDate: string | null; endDate: string | null; stage: string; nextDue: string | null; nextDueOn: string | null; missed: string[];
}
interface IncomingList { incoming: IncomingRow[]; total: number; limit: number; offset: number }
/** What GET /api/incoming/:id answers. */
interface IncomingDetail {
  incomingId: string;
  stage: string;
  state: Record<string, any>;
  deadlines: { deadline: string; dueOn: string; ruleId: string }[];
  audit: { at: string; actor: string; action: string; outcome: string; detail: string; events: string[] }[];
  actions: { name: string; permission: string; allowed: boolean; reason: string | null }[];
}

const STAGES = ['nominated', 'agreed', 'arrived', 'certified', 'transcribed', 'cancelled', 'no-show'];
const KINDS = ['student-studies', 'student-traineeship', 'staff-teaching', 'staff-training', 'invited-expert', 'hosted-teacher-in-training', 'preparatory-visit'];

function IncomingStage({ stage }: { stage: string }) {
  return <span class={`stage stage-incoming-${stage}`}>{tv('incoming.stage', stage)}</span>;
}

/**
 * Incoming mobilities (the receiving side): the list in the user's scope with what each stay still
 * owes (certificate of attendance, transcript of records) and when; a nomination form; and, for a
 * selected stay, the actions the server offers now, each as a form generated from its request schema.
 * Nothing here computes a due date or a stage: the server answers them.
 */
export function IncomingPage() {
  usePageTitle(t('incoming.title'));
  const { query, route, path } = useLocation();
  const { options } = useSession();
  const stage = query.stage ?? '';
  const kind = query.kind ?? '';
  const selected = query.id ?? null;
  const { data, error, reload } = useData(() => get<IncomingList>('/api/incoming', { stage, kind, limit: 200 }), [stage, kind]);
  const [schema, setSchema] = useState<JsonSchema | null>(null);
  const [showForm, setShowForm] = useState(query.new === '1');
  const [done, setDone] = useState<string | null>(null);
  useEffect(() => {
    void requestSchema('nominateIncoming').then(setSchema);
  }, []);
  const go = (next: Record<string, string | null>) => {
    const q = new URLSearchParams({ ...query, ...Object.fromEntries(Object.entries(next).filter(([, v]) => v !== null)) } as Record<string, string>);
    for (const [k, v] of Object.entries(next)) if (v === null || v === '') q.delete(k);
    route(`${path}${q.toString() ? `?${q}` : ''}`);
  };
  const suggestions = {
    receivingInstitutionId: options.institutions.map((i) => ({ value: i.id, label: i.name })),
    siteId: options.sites.map((s) => ({ value: s.id, label: s.name })),
  };

  return (
    <section aria-labelledby="incoming-title" class="incoming">
      <header class="page-head">
        <h1 id="incoming-title">{t('incoming.title')}</h1>
        <button type="button" class="primary" aria-expanded={showForm} aria-controls="incoming-new" onClick={() => setShowForm(!showForm)} data-testid="incoming-new-toggle">
          {t('incoming.new')}
        </button>
      </header>
      <p>{t('incoming.intro')}</p>
      {done && <p class="msg info" role="status" data-testid="incoming-done">{done}</p>}
      {showForm && (
        <section class="card" id="incoming-new" aria-labelledby="incoming-new-title">
          <h2 id="incoming-new-title">{t('incoming.new')}</h2>
          <p class="muted">{t('incoming.newIntro')}</p>
          {!schema ? <Loading /> : (
            <SchemaForm id="incoming-nomination" schema={schema} suggestions={suggestions} submitLabel={t('incoming.submit')}
              initial={options.institutions.length === 1 ? { receivingInstitutionId: options.institutions[0]!.id } : {}}
              onSubmit={async (body) => {
                const r = await post<{ incomingId: string }>('/api/incoming', body);
                setShowForm(false);
                setDone(t('incoming.recorded', { id: r.incomingId }));
                go({ id: r.incomingId, new: null });
                await reload();
              }} />
          )}
        </section>
      )}

      <form class="filters card" role="search" aria-label={t('incoming.filters')} onSubmit={(e) => e.preventDefault()}>
        <div class="field">
          <label for="in-stage">{t('incoming.col.stage')}</label>
          <select id="in-stage" value={stage} onChange={(e) => go({ stage: (e.currentTarget as HTMLSelectElement).value || null })}>
            <option value="">{t('incoming.all')}</option>
            {STAGES.map((s) => <option key={s} value={s}>{tv('incoming.stage', s)}</option>)}
          </select>
        </div>
        <div class="field">
          <label for="in-kind">{t('incoming.col.kind')}</label>
          <select id="in-kind" value={kind} onChange={(e) => go({ kind: (e.currentTarget as HTMLSelectElement).value || null })}>
            <option value="">{t('incoming.all')}</option>
            {KINDS.map((k) => <option key={k} value={k}>{tv('code', k)}</option>)}
          </select>
        </div>
      </form>

      {error ? <ErrorNote error={error} /> : !data ? <Loading /> : data.incoming.length === 0 ? <p class="muted">{t('incoming.empty')}</p> : (
        <table class="data" data-testid="incoming-table">
          <caption class="sr-only">{t('incoming.title')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('incoming.col.id')}</th>
              <th scope="col">{t('incoming.col.kind')}</th>
              <th scope="col">{t('incoming.col.participant')}</th>
              <th scope="col">{t('incoming.col.sender')}</th>
              <th scope="col">{t('incoming.col.dates')}</th>
              <th scope="col">{t('incoming.col.stage')}</th>
              <th scope="col">{t('incoming.col.nextDue')}</th>
            </tr>
          </thead>
          <tbody>
            {data.incoming.map((r) => (
              <tr key={r.incomingId} class={r.incomingId === selected ? 'selected' : ''}>
                <td><a href={`/incoming?id=${encodeURIComponent(r.incomingId)}`} aria-current={r.incomingId === selected ? 'true' : undefined}>{r.incomingId}</a></td>
                <td>{tv('code', r.kind)}</td>
                <td><code>{r.participantRef ?? t('common.dash')}</code></td>
                <td>{r.sendingOrgId ?? t('common.dash')}{r.sendingCountry ? ` (${r.sendingCountry})` : ''}</td>
                <td>{r.startDate ? `${date(r.startDate)} – ${date(r.endDate)}` : t('common.dash')}</td>
                <td><IncomingStage stage={r.stage} /></td>
                <td>
                  {r.nextDue ? <>{tv('incoming.deadline', r.nextDue)} · {date(r.nextDueOn)}</> : t('common.dash')}
                  {r.missed.length > 0 && <span class="badge overdue"> {t('incoming.missed', { count: r.missed.length })}</span>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {selected && <IncomingCard key={selected} id={selected} onChanged={async (msg) => { setDone(msg); await reload(); }} />}
    </section>
  );
}

/** One stay: its facts, what it still owes and when, its timeline, and the actions offered now. */
function IncomingCard({ id, onChanged }: { id: string; onChanged: (message: string) => Promise<void> }) {
  const { data, error, reload } = useData(() => get<IncomingDetail>(`/api/incoming/${encodeURIComponent(id)}`), [id]);
  const [open, setOpen] = useState<string | null>(null);
  const [schema, setSchema] = useState<JsonSchema | null>(null);
  useEffect(() => {
    setSchema(null);
    if (open) void requestSchema(`incoming_action_${open}`).then(setSchema);
  }, [open]);
  if (error) return <ErrorNote error={error} />;
  if (!data) return <Loading />;
  const s = data.state;
  const offered = data.actions.filter((a) => a.allowed);
  return (
    <article class="card" aria-labelledby="incoming-card-title" data-testid="incoming-card">
      <header class="page-head">
        <h2 id="incoming-card-title">{t('incoming.card', { id })}</h2>
        <IncomingStage stage={data.stage} />
      </header>
      <dl class="facts">
        <dt>{t('incoming.col.kind')}</dt><dd>{tv('code', s.identity?.kind)}</dd>
        <dt>{t('incoming.col.participant')}</dt><dd><code>{s.identity?.participantRef}</code></dd>
        <dt>{t('incoming.col.sender')}</dt><dd>{s.identity?.sendingOrgId} ({s.identity?.sendingCountry})</dd>
        <dt>{t('incoming.col.dates')}</dt><dd>{date(s.plan?.startDate)} – {date(s.plan?.endDate)}</dd>
        {s.agreement && <><dt>{t('incoming.agreementSigned')}</dt><dd>{date(s.agreement.signedOn)}{s.agreement.ectsPlanned !== null ? ` · ${s.agreement.ectsPlanned} ECTS` : ''}</dd></>}
        {s.arrival && <><dt>{t('incoming.arrived')}</dt><dd>{date(s.arrival.arrivedOn)}</dd></>}
        {s.certificate && <><dt>{t('incoming.certificate')}</dt><dd>{date(s.certificate.actualStartDate)} – {date(s.certificate.actualEndDate)} · {date(s.certificate.issuedOn)}</dd></>}
        {s.transcript && <><dt>{t('incoming.transcript')}</dt><dd>{s.transcript.ects} ECTS · {date(s.transcript.issuedOn)}</dd></>}
      </dl>
      <h3>{t('incoming.owed')}</h3>
      {data.deadlines.length === 0 ? <p class="muted">{t('incoming.nothingOwed')}</p> : (
        <ul>
          {data.deadlines.map((d) => <li key={d.deadline}>{tv('incoming.deadline', d.deadline)} · {t('incoming.dueOn', { date: date(d.dueOn) })} <span class="muted">({d.ruleId})</span></li>)}
        </ul>
      )}
      <h3>{t('action.available')}</h3>
      {offered.length === 0 ? <p class="muted">{t('action.none')}</p> : (
        <ul class="actions">
          {offered.map((a) => (
            <li key={a.name}>
              <button type="button" aria-expanded={open === a.name} class={open === a.name ? 'primary' : ''} data-action={a.name} onClick={() => setOpen(open === a.name ? null : a.name)}>
                {tv('incoming.action', a.name)}
              </button>
            </li>
          ))}
        </ul>
      )}
      {open && schema && (
        <SchemaForm key={open} id={`incoming-${open}`} schema={schema} submitLabel={tv('incoming.action', open)}
          initial={open === 'issueCertificate' ? { actualStartDate: s.arrival?.arrivedOn, actualEndDate: s.plan?.endDate } : {}}
          onSubmit={async (body) => {
            const r = await post<{ stage: string }>(`/api/incoming/${encodeURIComponent(id)}/actions/${open}`, body);
            setOpen(null);
            await reload();
            await onChanged(t('action.done', { stage: tv('incoming.stage', r.stage) }));
          }} />
      )}
      <h3>{t('incoming.timeline')}</h3>
      <ol class="timeline">
        {data.audit.map((e, i) => {
          // The events it recorded, translated; one that only repeats the action is not said twice.
          const what = tv('incoming.audit', e.action);
          const events = e.events.map((x) => tv('incomingEvent', x)).filter((x) => x !== what);
          return <li key={i}>{dateTime(e.at)} · {e.actor} · {what}{events.length > 0 ? ` → ${events.join(', ')}` : ''}</li>;
        })}
      </ol>
    </article>
  );
}
