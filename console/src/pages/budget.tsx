import { useLocation } from 'preact-iso';
import { useState } from 'preact/hooks';
import { get } from '../api';
import { BarChart } from '../charts';
import { euros, eurosShort, num, t, tv } from '../i18n';
import { useSession } from '../session';
import { ErrorNote, Loading, useData, usePageTitle } from '../util';
import { BmExport, CalendarFeeds } from './exports';

type GroupBy = 'line' | 'project' | 'institution' | 'consortium';
const GROUPS: GroupBy[] = ['line', 'project', 'institution', 'consortium'];
type Row = Record<string, string | number | null>;
interface Drill { projectId?: string; funderLineId?: string; institutionId?: string; consortiumId?: string; label: string }
interface DrillRow {
  mobilityId: string; projectId: string; funderLineId: string; institutionId: string; activity: string | null; status: string;
  estimatedCents: number; finalCents: number; paidCents: number; lines: { ruleId: string; item: string; amountCents: number; basis: string }[];
}

const n = (v: unknown) => Number(v ?? 0);

/** Allocated / reserved / contracted / paid / remaining per project and funder line, per member; drill-down to mobilities and rule lines. */
export function BudgetPage() {
  usePageTitle(t('budget.title'));
  const { options } = useSession();
  const { query, route } = useLocation();
  const groupBy = (GROUPS.includes(query.groupBy as GroupBy) ? query.groupBy : 'line') as GroupBy;
  const { data, error } = useData(() => get<{ rows: Row[] }>('/api/budget', { groupBy }), [groupBy]);
  const [drill, setDrill] = useState<Drill | null>(null);

  const instName = (id: string) => options.institutions.find((i) => i.id === id)?.name ?? id;
  const consName = (id: string | null) => (id ? options.consortia.find((c) => c.id === id)?.name ?? id : t('common.dash'));
  const funder = (p: unknown, l: unknown) => options.projects.find((x) => x.projectId === p)?.funderLines.find((x) => x.lineId === l)?.funder ?? String(l);
  const labelOf = (r: Row): string =>
    groupBy === 'line' ? `${funder(r.projectId, r.funderLineId)} (${String(r.projectId).split('-').slice(-3).join('-')})`
      : groupBy === 'project' ? String(r.projectId)
        : groupBy === 'institution' ? instName(String(r.institutionId)) : consName(r.consortiumId as string | null);
  /** Chart labels on two lines: the funder line, then its project. */
  const chartLabel = (r: Row): string | string[] => (groupBy === 'line' ? [funder(r.projectId, r.funderLineId), String(r.projectId)] : labelOf(r));
  const drillOf = (r: Row): Drill => ({
    label: labelOf(r),
    ...(groupBy === 'line' ? { projectId: String(r.projectId), funderLineId: String(r.funderLineId) } : {}),
    ...(groupBy === 'project' ? { projectId: String(r.projectId) } : {}),
    ...(groupBy === 'institution' ? { institutionId: String(r.institutionId) } : {}),
    ...(groupBy === 'consortium' && r.consortiumId ? { consortiumId: String(r.consortiumId) } : {}),
  });

  return (
    <section aria-labelledby="budget-title">
      <h1 id="budget-title">{t('budget.title')}</h1>
      <div class="field inline">
        <label for="budget-by">{t('budget.by')}</label>
        <select id="budget-by" value={groupBy} onChange={(e) => { setDrill(null); route(`/budget?groupBy=${(e.currentTarget as HTMLSelectElement).value}`); }}>
          {GROUPS.map((g) => <option key={g} value={g}>{t(`budget.by.${g}`)}</option>)}
        </select>
      </div>
      {error ? <ErrorNote error={error} /> : !data ? <Loading /> : data.rows.length === 0 ? <p>{t('budget.none')}</p> : (
        <>
          <div class="cols">
            <section class="card" aria-labelledby="budget-money">
              <h2 id="budget-money">{t('budget.money')}</h2>
              <BarChart testId="budget-chart" title={t('budget.money')} horizontal stacked format={eurosShort} height={Math.max(220, data.rows.length * 70 + 80)}
                labels={data.rows.map(chartLabel)}
                onPick={(i) => setDrill(drillOf(data.rows[i]!))}
                series={[
                  { label: t('budget.reserved'), values: data.rows.map((r) => n(r.reservedCents)), stack: 'use', color: '#8c6d1f' },
                  { label: t('budget.contracted'), values: data.rows.map((r) => n(r.contractedCents)), stack: 'use', color: '#c2571a' },
                  { label: t('budget.final'), values: data.rows.map((r) => n(r.finalCents)), stack: 'use', color: '#1f4e9c' },
                  { label: t('budget.remaining'), values: data.rows.map((r) => Math.max(0, n(r.remainingCents))), stack: 'use', color: '#9ca3af' },
                  { label: t('budget.paid'), values: data.rows.map((r) => n(r.paidCents)), stack: 'paid', color: '#2e7d32' },
                ]} />
            </section>
            <section class="card" aria-labelledby="budget-mob">
              <h2 id="budget-mob">{t('budget.mobilities')}</h2>
              <BarChart testId="budget-mobilities-chart" title={t('budget.mobilities')} horizontal height={Math.max(220, data.rows.length * 70 + 80)}
                labels={data.rows.map(chartLabel)}
                onPick={(i) => setDrill(drillOf(data.rows[i]!))}
                series={[
                  { label: t('budget.mobilitiesAllocated'), values: data.rows.map((r) => n(r.allocatedMobilities)), color: '#9ca3af' },
                  { label: t('budget.mobilitiesUsed'), values: data.rows.map((r) => n(r.mobilitiesUsed)), color: '#1f4e9c' },
                ]} />
            </section>
          </div>
          <div class="table-wrap card" tabIndex={0} role="region" aria-label={t('common.table')}>
            <table data-testid="budget-table">
              <caption>{t('budget.by')} : {t(`budget.by.${groupBy}`)}</caption>
              <thead>
                <tr>
                  <th scope="col">{t(`budget.by.${groupBy}`)}</th>
                  {(['allocated', 'reserved', 'contracted', 'final', 'paid', 'coFunded', 'remaining'] as const).map((k) => <th key={k} scope="col" class="num">{t(`budget.${k}`)}</th>)}
                  <th scope="col" class="num">{t('budget.mobilitiesUsed')}</th>
                  <th scope="col"><span class="sr-only">{t('budget.drill')}</span></th>
                </tr>
              </thead>
              <tbody>
                {data.rows.map((r, i) => (
                  <tr key={i}>
                    <th scope="row">{labelOf(r)}</th>
                    <td class="num">{euros(r.allocatedCents)}</td>
                    <td class="num">{euros(r.reservedCents)}</td>
                    <td class="num">{euros(r.contractedCents)}</td>
                    <td class="num" data-testid="final-cell">{euros(r.finalCents)}</td>
                    <td class="num">{euros(r.paidCents)}</td>
                    <td class="num" data-testid="co-funded-cell">{euros(r.coFundedCents ?? 0)}</td>
                    <td class={`num${n(r.remainingCents) < 0 ? ' negative' : ''}`}>{euros(r.remainingCents)}</td>
                    <td class="num">{num(r.mobilitiesUsed)} / {num(r.allocatedMobilities)}</td>
                    <td><button type="button" onClick={() => setDrill(drillOf(r))}>{t('budget.drill')}</button></td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <section class="card" aria-labelledby="drill-title">
            <h2 id="drill-title">{t('budget.drill')}{drill ? ` — ${drill.label}` : ''}</h2>
            {drill ? <DrillDown drill={drill} /> : <p class="muted">{t('budget.drillHint')}</p>}
          </section>
        </>
      )}
      <BmExport />
      <CalendarFeeds />
    </section>
  );
}

function DrillDown({ drill }: { drill: Drill }) {
  const [status, setStatus] = useState('');
  const [offset, setOffset] = useState(0);
  const { label: _label, ...filters } = drill;
  const { data, error } = useData(() => get<{ total: number; rows: DrillRow[] }>('/api/console/budget/mobilities', { ...filters, status, limit: 20, offset }), [JSON.stringify(filters), status, offset]);
  return (
    <>
      <div class="field inline">
        <label for="drill-status">{t('budget.status')}</label>
        <select id="drill-status" value={status} onChange={(e) => { setOffset(0); setStatus((e.currentTarget as HTMLSelectElement).value); }}>
          <option value="">{t('common.all')}</option>
          {(['reserved', 'contracted', 'final'] as const).map((s) => <option key={s} value={s}>{t(`budget.status.${s}`)}</option>)}
        </select>
      </div>
      {error ? <ErrorNote error={error} /> : !data ? <Loading /> : (
        <>
          <p class="muted">{t('common.total', { count: data.total })}</p>
          <ul class="drill">
            {data.rows.map((r) => (
              <li key={r.mobilityId}>
                <a href={`/mobilities/${r.mobilityId}`}>{r.mobilityId}</a> · {tv('activity', r.activity)} · {t(`budget.status.${r.status as 'reserved'}`)} ·{' '}
                <strong>{euros(r.status === 'final' ? r.finalCents : r.estimatedCents)}</strong>
                <details>
                  <summary>{t('budget.ruleLines')}</summary>
                  <table class="compact">
                    <thead><tr><th scope="col">{t('mobility.rule')}</th><th scope="col">{t('mobility.item')}</th><th scope="col" class="num">{t('mobility.amount')}</th></tr></thead>
                    <tbody>
                      {r.lines.map((l) => <tr key={l.ruleId + l.item}><td><code>{l.ruleId}</code></td><td lang="en">{l.item}</td><td class="num">{euros(l.amountCents)}</td></tr>)}
                    </tbody>
                  </table>
                </details>
              </li>
            ))}
          </ul>
          <nav class="pager" aria-label={t('budget.drill')}>
            {offset > 0 && <button type="button" onClick={() => setOffset(Math.max(0, offset - 20))}>{t('common.previous')}</button>}
            {offset + 20 < data.total && <button type="button" onClick={() => setOffset(offset + 20)}>{t('common.next')}</button>}
          </nav>
        </>
      )}
    </>
  );
}
