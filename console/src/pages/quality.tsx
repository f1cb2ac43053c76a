import { useLocation } from 'preact-iso';
import { get } from '../api';
import { BarChart } from '../charts';
import { num, percent, t, tv } from '../i18n';
import { useSession } from '../session';
import { ErrorNote, Loading, useData, usePageTitle } from '../util';

type Scope = 'project' | 'institution' | 'consortium';
const SCOPES: Scope[] = ['project', 'institution', 'consortium'];
type Row = Record<string, string | number | null>;
const n = (v: unknown) => (v === null || v === undefined ? 0 : Number(v));

/** The quality dashboard as charts per project, institution or consortium. */
export function QualityPage() {
  usePageTitle(t('quality.title'));
  const { options } = useSession();
  const { query, route } = useLocation();
  const scope = (SCOPES.includes(query.scope as Scope) ? query.scope : 'institution') as Scope;
  const { data, error } = useData(() => get<{ rows: Row[]; stages: { stage: string; mobilities: string | number }[] }>('/api/quality', { scope }), [scope]);
  const order = (st: string) => { const i = options.stages.indexOf(st); return i < 0 ? 99 : i; };
  const name = (id: string) =>
    scope === 'institution' ? options.institutions.find((i) => i.id === id)?.name ?? id : scope === 'consortium' ? options.consortia.find((c) => c.id === id)?.name ?? id : id;

  return (
    <section aria-labelledby="quality-title">
      <h1 id="quality-title">{t('quality.title')}</h1>
      <div class="field inline">
        <label for="quality-scope">{t('quality.scope')}</label>
        <select id="quality-scope" value={scope} onChange={(e) => route(`/quality?scope=${(e.currentTarget as HTMLSelectElement).value}`)}>
          {SCOPES.map((s) => <option key={s} value={s}>{t(`quality.scope.${s}`)}</option>)}
        </select>
      </div>
      {error ? <ErrorNote error={error} /> : !data ? <Loading /> : (
        <>
          {data.rows.length === 0 ? <p>{t('quality.none')}</p> : (
            <>
              <div class="cols">
                <section class="card" aria-labelledby="q-rates">
                  <h2 id="q-rates">{t('quality.rates')}</h2>
                  <BarChart testId="quality-rates" title={t('quality.rates')} labels={data.rows.map((r) => name(String(r.scopeId)))} format={(v) => percent(v)}
                    series={[
                      { label: t('quality.reportRate'), values: data.rows.map((r) => n(r.reportSubmissionRate)) },
                      { label: t('quality.recognitionRate'), values: data.rows.map((r) => n(r.recognitionRate)) },
                      { label: t('quality.fewerShare'), values: data.rows.map((r) => n(r.fewerOpportunityShare)) },
                      { label: t('quality.greenShare'), values: data.rows.map((r) => n(r.greenTravelShare)) },
                    ]} />
                </section>
                <section class="card" aria-labelledby="q-delays">
                  <h2 id="q-delays">{t('quality.delays')}</h2>
                  <BarChart testId="quality-delays" title={t('quality.delays')} labels={data.rows.map((r) => name(String(r.scopeId)))} format={(v) => num(v, 1)}
                    series={[
                      { label: t('quality.reportDaysLate'), values: data.rows.map((r) => n(r.reportAvgDaysLate)) },
                      { label: t('quality.daysToRecognition'), values: data.rows.map((r) => n(r.avgDaysToRecognition)) },
                    ]} />
                </section>
              </div>
              <section class="card" aria-labelledby="q-counts">
                <h2 id="q-counts">{t('quality.counts')}</h2>
                <BarChart testId="quality-counts" title={t('quality.counts')} labels={data.rows.map((r) => name(String(r.scopeId)))}
                  series={[
                    { label: t('quality.certificates'), values: data.rows.map((r) => n(r.certificatesReceived)) },
                    { label: t('quality.olsBefore'), values: data.rows.map((r) => n(r.olsBeforeDone)) },
                    { label: t('quality.olsAfter'), values: data.rows.map((r) => n(r.olsAfterDone)) },
                    { label: t('quality.reports'), values: data.rows.map((r) => n(r.reportsSubmitted)) },
                    { label: t('quality.interruptions'), values: data.rows.map((r) => n(r.interruptions)) },
                  ]} />
              </section>
              <div class="table-wrap card" tabIndex={0} role="region" aria-label={t('common.table')}>
                <table data-testid="quality-table">
                  <caption>{t(`quality.scope.${scope}`)}</caption>
                  <thead>
                    <tr>
                      <th scope="col">{t(`quality.scope.${scope}`)}</th>
                      <th scope="col" class="num">{t('quality.mobilities')}</th>
                      <th scope="col" class="num">{t('quality.reportRate')}</th>
                      <th scope="col" class="num">{t('quality.reportDaysLate')}</th>
                      <th scope="col" class="num">{t('quality.olsBefore')}</th>
                      <th scope="col" class="num">{t('quality.olsAfter')}</th>
                      <th scope="col" class="num">{t('quality.certificates')}</th>
                      <th scope="col" class="num">{t('quality.recognitionRate')}</th>
                      <th scope="col" class="num">{t('quality.daysToRecognition')}</th>
                      <th scope="col" class="num">{t('quality.fewerShare')}</th>
                      <th scope="col" class="num">{t('quality.greenShare')}</th>
                      <th scope="col" class="num">{t('quality.interruptions')}</th>
                    </tr>
                  </thead>
                  <tbody>
                    {data.rows.map((r) => (
                      <tr key={String(r.scopeId)}>
                        <th scope="row">{name(String(r.scopeId))}</th>
                        <td class="num">{num(r.mobilities)}</td>
                        <td class="num">{percent(r.reportSubmissionRate)}</td>
                        <td class="num">{num(r.reportAvgDaysLate, 1)}</td>
                        <td class="num">{num(r.olsBeforeDone)}</td>
                        <td class="num">{num(r.olsAfterDone)}</td>
                        <td class="num">{num(r.certificatesReceived)}</td>
                        <td class="num">{percent(r.recognitionRate)}</td>
                        <td class="num">{num(r.avgDaysToRecognition, 1)}</td>
                        <td class="num">{percent(r.fewerOpportunityShare)}</td>
                        <td class="num">{percent(r.greenTravelShare)}</td>
                        <td class="num">{num(r.interruptions)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </>
          )}
          {data.stages.length > 0 && (
            <section class="card" aria-labelledby="q-stages">
              <h2 id="q-stages">{t('quality.stages')}</h2>
              <BarChart testId="quality-stages" title={t('quality.stages')} labels={sortedStages(data.stages, order).map((s) => tv('stage', s.stage))}
                series={[{ label: t('quality.mobilities'), values: sortedStages(data.stages, order).map((s) => n(s.mobilities)) }]} />
            </section>
          )}
        </>
      )}
    </section>
  );
}

const sortedStages = <S extends { stage: string }>(xs: S[], order: (s: string) => number): S[] => [...xs].sort((a, b) => order(a.stage) - order(b.stage));
