import { useState } from 'preact/hooks';
import { ApiError, type ApiErrorBody, get, getToken, post } from '../api';
import { t } from '../i18n';
import { useSession } from '../session';
import { ErrorNote, useData } from '../util';

/** A file the API produces, fetched with the session's token and saved under the server's name. */
async function saveFile(path: string, fallbackName: string): Promise<void> {
  const token = getToken();
  const res = await fetch(path, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  if (!res.ok) {
    const text = await res.text();
    throw new ApiError(res.status, (text ? JSON.parse(text) : {}) as ApiErrorBody);
  }
  const name = /filename="([^"]+)"/.exec(res.headers.get('content-disposition') ?? '')?.[1] ?? fallbackName;
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** The Beneficiary Module file of each project in scope, as XLSX or CSV (GET /api/projects/:id/bm-export.*). */
export function BmExport() {
  const { options } = useSession();
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const fetchFile = async (projectId: string, kind: 'xlsx' | 'csv') => {
    setError(null);
    setBusy(`${projectId}.${kind}`);
    try {
      await saveFile(`/api/projects/${encodeURIComponent(projectId)}/bm-export.${kind}`, `${projectId}-bm-mobilities.${kind}`);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(null);
    }
  };
  if (options.projects.length === 0) return null;
  return (
    <section class="card" aria-labelledby="bm-export-title" data-testid="bm-export">
      <h2 id="bm-export-title">{t('export.bm.title')}</h2>
      <p class="muted">{t('export.bm.hint')}</p>
      {error ? <ErrorNote error={error} /> : null}
      <ul class="plain">
        {options.projects.map((p) => (
          <li key={p.projectId}>
            <span>{p.projectId}</span>{' '}
            <button type="button" disabled={busy !== null} onClick={() => void fetchFile(p.projectId, 'xlsx')} aria-label={t('export.bm.xlsxFor', { project: p.projectId })}>{t('export.bm.xlsx')}</button>{' '}
            <button type="button" disabled={busy !== null} onClick={() => void fetchFile(p.projectId, 'csv')} aria-label={t('export.bm.csvFor', { project: p.projectId })}>{t('export.bm.csv')}</button>
          </li>
        ))}
      </ul>
    </section>
  );
}

interface Feed { id: number; scope: { kind: string; id: string }; label: string; createdAt: string; revokedAt: string | null }

/** Private calendar feeds of due dates: create one for a scope in view, copy its URL (shown once), revoke. */
export function CalendarFeeds() {
  const { options } = useSession();
  const { data, error } = useData(() => get<{ feeds: Feed[] }>('/api/calendar-feeds'), [], false);
  const [made, setMade] = useState<{ url: string; label: string } | null>(null);
  const [feeds, setFeeds] = useState<Feed[] | null>(null);
  const [failure, setFailure] = useState<unknown>(null);
  const [copied, setCopied] = useState(false);
  const scopes = [
    ...options.institutions.map((i) => ({ kind: 'institution', id: i.id, name: i.name })),
    ...options.consortia.map((c) => ({ kind: 'consortium', id: c.id, name: c.name })),
    ...options.sites.map((s) => ({ kind: 'site', id: s.id, name: s.name })),
  ];
  const [scope, setScope] = useState(0);
  const list = feeds ?? data?.feeds ?? [];
  const create = async () => {
    const s = scopes[scope];
    if (!s) return;
    setFailure(null);
    setCopied(false);
    try {
      const r = await post<Feed & { url: string }>('/api/calendar-feeds', { scope: { kind: s.kind, id: s.id }, label: s.name });
      setMade({ url: r.url, label: r.label });
      setFeeds([...list, r]);
    } catch (err) {
      setFailure(err);
    }
  };
  const revoke = async (id: number) => {
    const token = getToken();
    const res = await fetch(`/api/calendar-feeds/${id}`, { method: 'DELETE', headers: token ? { authorization: `Bearer ${token}` } : {} });
    if (!res.ok) return setFailure(new ApiError(res.status, (await res.json()) as ApiErrorBody));
    const r = (await res.json()) as Feed;
    setFeeds(list.map((f) => (f.id === id ? r : f)));
  };
  const copy = async () => {
    if (!made) return;
    await navigator.clipboard?.writeText(made.url).catch(() => undefined);
    setCopied(true);
  };
  if (scopes.length === 0) return null;
  return (
    <section class="card" aria-labelledby="cal-title" data-testid="calendar-feeds">
      <h2 id="cal-title">{t('export.cal.title')}</h2>
      <p class="muted">{t('export.cal.hint')}</p>
      {error ? <ErrorNote error={error} /> : null}
      {failure ? <ErrorNote error={failure} /> : null}
      <div class="field inline">
        <label for="cal-scope">{t('export.cal.scope')}</label>
        <select id="cal-scope" value={scope} onChange={(e) => setScope(Number((e.currentTarget as HTMLSelectElement).value))}>
          {scopes.map((s, i) => <option key={`${s.kind}:${s.id}`} value={i}>{t(`export.cal.kind.${s.kind}` as 'export.cal.kind.institution')} — {s.name}</option>)}
        </select>
        <button type="button" onClick={() => void create()}>{t('export.cal.create')}</button>
      </div>
      {made ? (
        <div class="field inline" data-testid="calendar-url">
          <label for="cal-url">{t('export.cal.url', { label: made.label })}</label>
          <input id="cal-url" type="text" size={72} readOnly value={made.url} onFocus={(e) => (e.currentTarget as HTMLInputElement).select()} />
          <button type="button" onClick={() => void copy()}>{copied ? t('export.cal.copied') : t('export.cal.copy')}</button>
          <p class="muted">{t('export.cal.once')}</p>
        </div>
      ) : null}
      {list.length > 0 ? (
        <ul class="plain">
          {list.map((f) => (
            <li key={f.id}>
              {f.label} ({t(`export.cal.kind.${f.scope.kind}` as 'export.cal.kind.institution')}){' '}
              {f.revokedAt ? <span class="muted">{t('export.cal.revoked')}</span> : <button type="button" onClick={() => void revoke(f.id)}>{t('export.cal.revoke')}</button>}
            </li>
          ))}
        </ul>
      ) : null}
    </section>
  );
}
