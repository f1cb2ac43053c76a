import { useLocation } from 'preact-iso';
import { get, type Pipeline } from '../api';
import { date, num, t, tv } from '../i18n';
import { useSession } from '../session';
import { ErrorNote, Loading, Stage, useData, usePageTitle } from '../util';

const PAGE = 25;
const FILTERS = ['projectId', 'institutionId', 'siteId', 'activity', 'deadline', 'q'] as const;

/** Mobilities per stage, then one page of them: every filter is in the URL, so a link or the back button returns to it. */
export function PipelinePage() {
  usePageTitle(t('pipeline.title'));
  const { options } = useSession();
  const { query, route } = useLocation();
  const offset = Number(query.offset ?? 0) || 0;
  const params = { ...Object.fromEntries(FILTERS.map((k) => [k, query[k]])), stage: query.stage, limit: PAGE, offset };
  const { data, error } = useData(() => get<Pipeline>('/api/console/pipeline', params), [JSON.stringify(params)]);

  const go = (changes: Record<string, string | number | undefined>) => {
    const next = new URLSearchParams();
    for (const [k, v] of Object.entries({ ...query, offset: undefined, ...changes })) if (v !== undefined && v !== '' && v !== 0) next.set(k, String(v));
    route(`/pipeline${next.size ? `?${next}` : ''}`);
  };
  const onFilter = (e: Event) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget as HTMLFormElement);
    go(Object.fromEntries(FILTERS.map((k) => [k, String(f.get(k) ?? '')])));
  };
  const instName = (id: string) => options.institutions.find((i) => i.id === id)?.name ?? id;
  const max = Math.max(1, ...(data?.stages ?? []).map((s) => s.mobilities));

  return (
    <section aria-labelledby="pipeline-title">
      <h1 id="pipeline-title">{t('pipeline.title')}</h1>
      <form class="filters card" onSubmit={onFilter} role="search" key={JSON.stringify(query)}>
        <div class="field">
          <label for="f-q">{t('common.search')}</label>
          <input id="f-q" name="q" type="search" defaultValue={query.q ?? ''} placeholder={t('common.searchHint')} />
        </div>
        <div class="field">
          <label for="f-project">{t('field.projectId')}</label>
          <select id="f-project" name="projectId" defaultValue={query.projectId ?? ''}>
            <option value="">{t('common.all')}</option>
            {options.projects.map((p) => <option key={p.projectId} value={p.projectId}>{p.projectId}</option>)}
          </select>
        </div>
        <div class="field">
          <label for="f-inst">{t('field.institutionId')}</label>
          <select id="f-inst" name="institutionId" defaultValue={query.institutionId ?? ''}>
            <option value="">{t('common.all')}</option>
            {options.institutions.map((i) => <option key={i.id} value={i.id}>{i.name}</option>)}
          </select>
        </div>
        {options.sites.length > 0 && (
          <div class="field">
            <label for="f-site">{t('field.siteId')}</label>
            <select id="f-site" name="siteId" defaultValue={query.siteId ?? ''}>
              <option value="">{t('common.all')}</option>
              {options.sites.map((s) => <option key={s.id} value={s.id}>{s.name}</option>)}
            </select>
          </div>
        )}
        <div class="field">
          <label for="f-activity">{t('field.activity')}</label>
          <select id="f-activity" name="activity" defaultValue={query.activity ?? ''}>
            <option value="">{t('common.all')}</option>
            {options.activities.map((a) => <option key={a} value={a}>{tv('activity', a)}</option>)}
          </select>
        </div>
        <div class="field">
          <label for="f-deadline">{t('pipeline.deadline')}</label>
          <select id="f-deadline" name="deadline" defaultValue={query.deadline ?? ''}>
            <option value="">{t('common.all')}</option>
            {(['overdue', 'this-week', 'later', 'none'] as const).map((d) => <option key={d} value={d}>{tv('deadlineState', d)}</option>)}
          </select>
        </div>
        <div class="form-actions">
          <button class="primary" type="submit">{t('common.filter')}</button>
        </div>
      </form>

      {error ? <ErrorNote error={error} /> : !data ? <Loading /> : (
        <>
          <h2>{t('pipeline.stages')}</h2>
          <ol class="stage-columns" data-testid="stage-counts">
            <li>
              <a href={linkWith(query, { stage: undefined })} aria-current={!query.stage ? 'true' : undefined} class="stage-col all">
                <span class="count">{num(data.stages.reduce((s, x) => s + x.mobilities, 0))}</span>
                <span class="name">{t('pipeline.allStages')}</span>
              </a>
            </li>
            {data.stages.map((s) => (
              <li key={s.stage}>
                <a href={linkWith(query, { stage: s.stage })} aria-current={query.stage === s.stage ? 'true' : undefined} class={`stage-col stage-${s.stage}`} data-stage={s.stage}>
                  <span class="bar" style={{ height: `${Math.round((s.mobilities / max) * 60) + 2}px` }} aria-hidden="true" />
                  <span class="count">{num(s.mobilities)}</span>
                  <span class="name">{tv('stage', s.stage)}</span>
                </a>
              </li>
            ))}
          </ol>

          <h2>{t('pipeline.list')} <span class="badge">{num(data.total)}</span></h2>
          {data.rows.length === 0 ? <p>{t('pipeline.empty')}</p> : (
            <div class="table-wrap" tabIndex={0} role="region" aria-label={t('common.table')}>
              <table>
                <thead>
                  <tr>
                    <th scope="col">{t('field.mobilityId')}</th>
                    <th scope="col">{t('field.participantRef')}</th>
                    <th scope="col">{t('field.institutionId')}</th>
                    <th scope="col">{t('field.activity')}</th>
                    <th scope="col">{t('mobility.stage')}</th>
                    <th scope="col">{t('pipeline.nextDue')}</th>
                    <th scope="col">{t('pipeline.flags')}</th>
                  </tr>
                </thead>
                <tbody>
                  {data.rows.map((r) => (
                    <tr key={r.mobilityId}>
                      <td><a href={`/mobilities/${r.mobilityId}`}>{r.mobilityId}</a></td>
                      <td>{r.participantRef ?? t('common.dash')}</td>
                      <td>{instName(r.institutionId)}{r.siteId && <span class="muted"> · {r.siteId}</span>}</td>
                      <td>{tv('activity', r.activity)}</td>
                      <td><Stage stage={r.stage} /></td>
                      <td>{r.nextDueOn ? <>{date(r.nextDueOn)} <span class={`due due-${r.deadlineState}`}>{tv('deadlineState', r.deadlineState)}</span></> : t('common.dash')}</td>
                      <td>
                        {r.fewerOpportunities && <span class="flag" title={t('pipeline.fewer')}>{t('pipeline.fewer')}</span>}
                        {r.greenTravel && <span class="flag green" title={t('pipeline.green')}>{t('pipeline.green')}</span>}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          <nav class="pager" aria-label={t('pipeline.list')}>
            <span>{t('common.showing', { from: data.total ? offset + 1 : 0, to: Math.min(offset + PAGE, data.total), count: data.total })}</span>
            {offset > 0 && <a href={linkWith(query, { offset: Math.max(0, offset - PAGE) })} rel="prev">{t('common.previous')}</a>}
            {offset + PAGE < data.total && <a href={linkWith(query, { offset: offset + PAGE })} rel="next">{t('common.next')}</a>}
          </nav>
        </>
      )}
    </section>
  );
}

function linkWith(query: Record<string, string>, changes: Record<string, string | number | undefined>): string {
  const next = new URLSearchParams();
  const merged = { ...query, ...('stage' in changes ? { offset: undefined } : {}), ...changes };
  for (const [k, v] of Object.entries(merged)) if (v !== undefined && v !== '' && v !== 0) next.set(k, String(v));
  return `/pipeline${next.size ? `?${next}` : ''}`;
}
