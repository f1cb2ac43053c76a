import { useLocation } from 'preact-iso';
import { get, type WorkItem, type Worklist } from '../api';
import { date, dateTime, num, t, tv } from '../i18n';
import { useSession } from '../session';
import { ErrorNote, Loading, Stage, useData, usePageTitle } from '../util';

/** What is overdue, what is due this week and which reminders went out; each item one click from its action. */
export function WorklistPage() {
  usePageTitle(t('worklist.title'));
  const { options } = useSession();
  const { query, route } = useLocation();
  const kind = query.kind ?? '';
  const { data, error } = useData(() => get<Worklist>('/api/console/worklist', { projectId: query.projectId, institutionId: query.institutionId }), [query.projectId, query.institutionId]);
  if (error) return <ErrorNote error={error} />;
  if (!data) return <Loading />;
  const counts = new Map<string, number>();
  for (const i of data.items) counts.set(i.kind, (counts.get(i.kind) ?? 0) + 1);
  const shown = data.items.filter((i) => !kind || i.kind === kind);
  const overdue = shown.filter((i) => i.state === 'overdue').sort((a, b) => b.daysLate - a.daysLate);
  const due = shown.filter((i) => i.state === 'due');
  const instName = (id: string) => options.institutions.find((i) => i.id === id)?.name ?? id;
  const setKind = (k: string) => route(k ? `/worklist?kind=${encodeURIComponent(k)}` : '/worklist');

  const table = (items: WorkItem[], id: string) =>
    items.length === 0 ? <p class="muted">{t('worklist.nothing')}</p> : (
      <div class="table-wrap" tabIndex={0} role="region" aria-label={t('common.table')}>
        <table data-testid={id}>
          <thead>
            <tr>
              <th scope="col">{t('worklist.kind')}</th>
              <th scope="col">{t('field.mobilityId')}</th>
              <th scope="col">{t('field.institutionId')}</th>
              <th scope="col">{t('mobility.stage')}</th>
              <th scope="col">{t('worklist.due')}</th>
              <th scope="col">{t('worklist.late')}</th>
              <th scope="col"><span class="sr-only">{t('worklist.do')}</span></th>
            </tr>
          </thead>
          <tbody>
            {items.map((i) => (
              <tr key={`${i.mobilityId}:${i.kind}`} data-kind={i.kind} data-mobility={i.mobilityId} data-due={i.dueOn}>
                <td>{tv('deadline', i.kind)}</td>
                <td><a href={`/mobilities/${i.mobilityId}`}>{i.mobilityId}</a><div class="muted">{i.participantRef} · {tv('activity', i.activity)}</div></td>
                <td>{instName(i.institutionId)}</td>
                <td><Stage stage={i.stage} /></td>
                <td>{date(i.dueOn)}</td>
                <td>{i.daysLate > 0 ? t('common.daysLate', { count: i.daysLate }) : t('common.dash')}</td>
                <td>
                  {i.action && i.allowed ? (
                    <a class="button" href={`/mobilities/${i.mobilityId}?action=${i.action}`} aria-label={`${tv('action', i.action)} — ${i.mobilityId}`}>{tv('action', i.action)}</a>
                  ) : <span class="muted">{t(i.action ? 'worklist.otherRole' : 'worklist.automatic')}</span>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    );

  return (
    <section aria-labelledby="worklist-title">
      <h1 id="worklist-title">{t('worklist.title')}</h1>
      <div class="chips" role="group" aria-label={t('worklist.byKind')}>
        <button type="button" aria-pressed={!kind} onClick={() => setKind('')}>{t('common.all')} <span class="badge">{num(data.items.length)}</span></button>
        {[...counts].map(([k, n]) => (
          <button type="button" key={k} aria-pressed={kind === k} onClick={() => setKind(k)}>
            {tv('deadline', k)} <span class="badge">{num(n)}</span>
          </button>
        ))}
      </div>
      <h2 class="overdue-title">{t('worklist.overdue')} <span class="badge red">{num(overdue.length)}</span></h2>
      {table(overdue, 'worklist-overdue')}
      <h2>{t('worklist.dueSoon', { count: data.withinDays })} <span class="badge">{num(due.length)}</span></h2>
      {table(due, 'worklist-due')}
      <h2>{t('worklist.reminders')} <span class="badge">{num(data.reminders.length)}</span></h2>
      {data.reminders.length === 0 ? <p class="muted">{t('worklist.nothing')}</p> : (
        <div class="table-wrap" tabIndex={0} role="region" aria-label={t('common.table')}>
          <table data-testid="worklist-reminders">
            <thead>
              <tr>
                <th scope="col">{t('worklist.sentAt')}</th>
                <th scope="col">{t('worklist.kind')}</th>
                <th scope="col">{t('field.mobilityId')}</th>
                <th scope="col">{t('worklist.to')}</th>
                <th scope="col">{t('worklist.due')}</th>
              </tr>
            </thead>
            <tbody>
              {data.reminders.map((r) => (
                <tr key={`${r.mobilityId}:${r.deadline}:${r.sentAt}`}>
                  <td>{dateTime(r.sentAt)}</td>
                  <td>{tv('reminderKind', r.kind)} · {tv('deadline', r.deadline === 'transcript' ? 'transcript-of-records' : r.deadline)}</td>
                  <td><a href={`/mobilities/${r.mobilityId}`}>{r.mobilityId}</a></td>
                  <td>{tv('audience', r.audience)}</td>
                  <td>{date(r.dueOn)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
