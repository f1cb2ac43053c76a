import { useLocation } from 'preact-iso';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, type ApiErrorBody, download, get, getToken } from '../api';
import { num, percent, t, tv } from '../i18n';
import { useSession } from '../session';
import { issueText, type CodedIssue } from '../server-text';
import { ErrorNote, usePageTitle } from '../util';

/** An import job as GET /api/imports/:id answers it (workers/api/imports.ts). */
interface ImportJob {
  importId: string; projectId: string; status: 'running' | 'done' | 'failed'; fileName: string | null; format: string;
  total: number; done: number; started: number; takenOver: number; duplicates: number; refused: number;
  createdBy: string; createdAt: string; finishedAt: string | null; error: string | null;
  rows: { row: number; applicationRef: string | null; status: string; mobilityId: string | null; stage: string | null; issues: { column: string; reason: string; rule: string | null; code?: string; params?: Record<string, string | number> }[] }[] | null;
}
interface ColumnDoc { column: string; required: string; type: string; format: string; codes: string[]; description: string }

const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const POLL_MS = 400;

/** The file itself as the body, typed by its extension (the server reads CSV or XLSX, never a file name's claims). */
async function sendImport(projectId: string, file: File): Promise<{ importId: string; total: number }> {
  const type = /\.xlsx$/i.test(file.name) ? XLSX_TYPE : /\.csv$/i.test(file.name) ? 'text/csv' : file.type || 'application/octet-stream';
  const token = getToken();
  const res = await fetch(`/api/projects/${encodeURIComponent(projectId)}/imports?fileName=${encodeURIComponent(file.name.slice(0, 200))}`, {
    method: 'POST', headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), 'content-type': type }, body: file,
  });
  const text = await res.text();
  const parsed: unknown = text ? JSON.parse(text) : null;
  if (!res.ok) throw new ApiError(res.status, (parsed ?? {}) as ApiErrorBody);
  return parsed as { importId: string; total: number };
}

/**
 * Bulk import of applications, and takeover of mobilities under way (a `stage` column), from the template's
 * CSV or XLSX: choose the project, download the template, upload; a progress bar follows the job (rows done of
 * the total) and its report lists each refused row with the column and the reason. The job's id is in the URL
 * (`/imports?job=IMP-…`), so a reload follows the same import.
 */
export function ImportPage() {
  usePageTitle(t('import.title'));
  const { options } = useSession();
  const { query, route, path } = useLocation();
  const [projectId, setProjectId] = useState(query.project ?? options.projects[0]?.projectId ?? '');
  const [file, setFile] = useState<File | null>(null);
  const [job, setJob] = useState<ImportJob | null>(null);
  const [failure, setFailure] = useState<unknown>(null);
  const [sending, setSending] = useState(false);
  const [columns, setColumns] = useState<ColumnDoc[] | null>(null);
  const jobId = query.job ?? null;
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);

  // Follow the job in the URL until it is done.
  useEffect(() => {
    // Another job: the previous one's report must not stay on screen while the new one loads.
    setJob(null);
    if (!jobId) return;
    let stop = false;
    const poll = async () => {
      try {
        const j = await get<ImportJob>(`/api/imports/${encodeURIComponent(jobId)}`);
        if (stop) return;
        setJob(j);
        if (j.status === 'running') timer.current = setTimeout(() => void poll(), POLL_MS);
      } catch (err) {
        if (!stop) setFailure(err);
      }
    };
    void poll();
    return () => {
      stop = true;
      if (timer.current) clearTimeout(timer.current);
    };
  }, [jobId]);

  const submit = async (e: Event) => {
    e.preventDefault();
    if (!file || !projectId) return;
    setFailure(null);
    setSending(true);
    try {
      const r = await sendImport(projectId, file);
      route(`${path}?${new URLSearchParams({ project: projectId, job: r.importId })}`);
    } catch (err) {
      setFailure(err);
    } finally {
      setSending(false);
    }
  };
  const template = async (kind: 'xlsx' | 'csv') => {
    setFailure(null);
    await download(`/api/imports/template.${kind}`, `mobility-import-template.${kind}`).catch(setFailure);
  };
  const showColumns = async () => {
    if (columns) return;
    await get<{ columns: ColumnDoc[] }>('/api/imports/columns').then((r) => setColumns(r.columns), setFailure);
  };
  const issues = failure instanceof ApiError ? failure.body.issues ?? [] : [];

  return (
    <section aria-labelledby="import-title" class="import">
      <h1 id="import-title">{t('import.title')}</h1>
      <p>{t('import.intro')}</p>

      <section class="card" aria-labelledby="import-template-title">
        <h2 id="import-template-title">{t('import.template.title')}</h2>
        <p class="muted">{t('import.template.hint')}</p>
        <p>
          <button type="button" onClick={() => void template('xlsx')} data-testid="template-xlsx">{t('import.template.xlsx')}</button>{' '}
          <button type="button" onClick={() => void template('csv')} data-testid="template-csv">{t('import.template.csv')}</button>
        </p>
        <details onToggle={(e) => { if ((e.currentTarget as HTMLDetailsElement).open) void showColumns(); }}>
          <summary>{t('import.template.columns')}</summary>
          {columns && (
            <div class="table-wrap">
              <table class="compact" data-testid="import-columns">
                <caption class="sr-only">{t('import.template.columns')}</caption>
                <thead><tr><th scope="col">{t('import.col.column')}</th><th scope="col">{t('import.col.required')}</th><th scope="col">{t('import.col.format')}</th><th scope="col">{t('import.col.description')}</th></tr></thead>
                <tbody>
                  {columns.map((c) => (
                    <tr key={c.column}><td><code>{c.column}</code></td><td>{c.required}</td><td>{c.format}{c.codes.length > 0 && c.codes.length <= 12 ? ` (${c.codes.join(', ')})` : ''}</td><td>{c.description}</td></tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </details>
      </section>

      <form class="card" onSubmit={(e) => void submit(e)} aria-labelledby="import-upload-title" data-testid="import-form">
        <h2 id="import-upload-title">{t('import.upload.title')}</h2>
        <p class="muted">{t('import.upload.hint')}</p>
        <div class="field">
          <label for="import-project">{t('import.project')}</label>
          <select id="import-project" value={projectId} onChange={(e) => setProjectId((e.currentTarget as HTMLSelectElement).value)} required>
            {options.projects.length === 0 && <option value="">{t('import.noProject')}</option>}
            {options.projects.map((p) => <option key={p.projectId} value={p.projectId}>{p.projectId}</option>)}
          </select>
        </div>
        <div class={`field${issues.length > 0 ? ' invalid' : ''}`}>
          <label for="import-file">{t('import.file')}</label>
          <input id="import-file" type="file" accept=".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" required
            aria-invalid={issues.length > 0 ? 'true' : undefined} aria-describedby={issues.length > 0 ? 'import-file-error' : undefined}
            onChange={(e) => setFile((e.currentTarget as HTMLInputElement).files?.[0] ?? null)} />
          {issues.length > 0 && (
            <ul id="import-file-error" class="field-error" data-testid="import-file-error">
              {issues.map((i) => <li key={`${i.field}:${i.message}`}><code>{i.field}</code>: {i.message}</li>)}
            </ul>
          )}
        </div>
        <button type="submit" class="primary" disabled={!file || !projectId || sending || job?.status === 'running'}>{t('import.submit')}</button>
        {failure && issues.length === 0 ? <ErrorNote error={failure} /> : null}
      </form>

      {job && <ImportProgress job={job} />}
    </section>
  );
}

/** A refused row's reason in the user's language (its code and parameters), the server's English for a report without codes. */
function IssueReason({ i }: { i: CodedIssue }) {
  const x = issueText(i);
  return <span lang={x.translated ? undefined : 'en'} title={x.translated ? i.reason : undefined}>{x.text}</span>;
}

function ImportProgress({ job }: { job: ImportJob }) {
  const ratio = job.total === 0 ? 1 : job.done / job.total;
  const refused = (job.rows ?? []).filter((r) => r.status === 'refused');
  return (
    <section class="card" aria-labelledby="import-job-title" data-testid="import-job" data-job={job.importId} data-status={job.status}>
      <h2 id="import-job-title">{t('import.job.title', { file: job.fileName ?? job.importId })}</h2>
      <p class="muted">{job.importId} · {job.projectId}</p>
      <div class="field">
        <label for="import-progress">{t('import.job.progress')}</label>
        <progress id="import-progress" max={Math.max(job.total, 1)} value={job.total === 0 ? 1 : job.done} data-testid="import-progress" style={{ width: '100%', maxWidth: '40rem', height: '1.2rem' }} />
        <span role="status" aria-live="polite" data-testid="import-progress-text">
          {t('import.job.rows', { done: num(job.done), total: num(job.total), percent: percent(ratio) })}
          {job.status === 'running' ? ` — ${t('import.job.running')}` : ''}
        </span>
      </div>
      {job.status === 'failed' && <p class="msg error" role="alert">{t('import.job.failed', { message: job.error ?? '' })}</p>}
      <dl class="facts" data-testid="import-counts">
        <dt>{t('import.count.started')}</dt><dd data-testid="count-started">{num(job.started - job.takenOver)}</dd>
        <dt>{t('import.count.takenOver')}</dt><dd data-testid="count-taken-over">{num(job.takenOver)}</dd>
        <dt>{t('import.count.duplicates')}</dt><dd data-testid="count-duplicates">{num(job.duplicates)}</dd>
        <dt>{t('import.count.refused')}</dt><dd data-testid="count-refused">{num(job.refused)}</dd>
      </dl>
      {job.status === 'done' && (refused.length === 0 ? <p class="msg info" role="status">{t('import.report.none')}</p> : (
        <div class="table-wrap">
          <table class="data" data-testid="import-report">
            <caption>{t('import.report.title', { count: refused.length })}</caption>
            <thead>
              <tr><th scope="col">{t('import.col.row')}</th><th scope="col">{t('import.col.ref')}</th><th scope="col">{t('import.col.column')}</th><th scope="col">{t('import.col.reason')}</th></tr>
            </thead>
            <tbody>
              {refused.flatMap((r) => r.issues.map((i, n) => (
                <tr key={`${r.row}:${n}`}>
                  <td>{n === 0 ? r.row : ''}</td>
                  <td>{n === 0 ? r.applicationRef ?? t('common.dash') : ''}</td>
                  <td><code>{i.column}</code></td>
                  <td data-testid="import-reason"><IssueReason i={i} />{i.rule ? <span class="muted"> ({i.rule})</span> : null}</td>
                </tr>
              )))}
            </tbody>
          </table>
        </div>
      ))}
      {job.status === 'done' && job.started > 0 && (
        <p><a href={`/pipeline?projectId=${encodeURIComponent(job.projectId)}`}>{t('import.job.pipeline')}</a>{job.takenOver > 0 ? ` · ${t('import.job.stages', { stages: [...new Set((job.rows ?? []).filter((r) => r.status === 'started' && r.stage && r.stage !== 'applied').map((r) => tv('stage', r.stage)))].join(', ') })}` : ''}</p>
      )}
    </section>
  );
}
