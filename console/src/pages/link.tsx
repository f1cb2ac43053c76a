import { useEffect, useState } from 'preact/hooks';
import { ApiError, type LinkInfo, linkApi, sendFile } from '../api';
import { date, t } from '../i18n';
import { Loading, usePageTitle } from '../util';

/**
 * The page of a signed link (`/link/<token>`), for people without an account: the host or the participant
 * supplies the fact the mobility waits for — the certificate of attendance (the signed file and the actual
 * dates) or the confirmation of the participant report. No session: the link is the authority, and the
 * server refuses it when expired (410) or altered (403), with a plain page saying so.
 */
export function LinkPage({ token }: { token: string }) {
  const [info, setInfo] = useState<LinkInfo | null>(null);
  const [refused, setRefused] = useState<'expired' | 'invalid' | 'closed' | null>(null);
  const [done, setDone] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  usePageTitle(info ? t('link.title', { id: info.mobilityId }) : t('app.title'));

  useEffect(() => {
    linkApi<LinkInfo>('GET', `/api/links/${encodeURIComponent(token)}`)
      .then(setInfo)
      .catch((e: unknown) => setRefused(e instanceof ApiError && e.status === 410 ? 'expired' : e instanceof ApiError && e.status === 404 ? 'closed' : 'invalid'));
  }, [token]);

  if (refused) return <p class="msg error" role="alert" data-testid="link-refused">{t(refused === 'expired' ? 'link.expired' : refused === 'closed' ? 'link.notAwaited' : 'link.invalid')}</p>;
  if (!info) return <Loading />;

  const submit = async (e: Event) => {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    const data = new FormData(form);
    setBusy(true);
    setError(null);
    try {
      if (info.purpose === 'certificate-of-attendance') {
        const file = data.get('file') as File;
        const q = new URLSearchParams({ mobilityId: info.mobilityId, actualStartDate: String(data.get('actualStartDate')), actualEndDate: String(data.get('actualEndDate')) });
        await sendFile(`/api/links/${encodeURIComponent(token)}/certificate-of-attendance?${q}`, file, false);
      } else {
        await linkApi('POST', `/api/links/${encodeURIComponent(token)}/report-confirmation`, { mobilityId: info.mobilityId, submittedOn: String(data.get('submittedOn')) });
      }
      setDone(true);
    } catch (err) {
      setError(err instanceof ApiError ? err.body.message ?? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <article class="card link-page" aria-labelledby="link-title" data-testid="link-page">
      <h1 id="link-title">{t('link.title', { id: info.mobilityId })}</h1>
      <p class="muted">{t(info.audience === 'host' ? 'link.for.host' : 'link.for.participant')} · {t('link.expires', { date: date(info.expiresAt.slice(0, 10)) })}</p>
      {info.plannedStartDate && info.plannedEndDate && <p>{t('link.planned', { start: date(info.plannedStartDate), end: date(info.plannedEndDate) })}</p>}
      {done ? <p class="msg info" role="status" data-testid="link-done">{t('link.done')}</p>
        : !info.awaited ? <p class="msg info" role="status">{t('link.notAwaited')}</p>
        : (
          <form onSubmit={submit} class="form">
            <p>{t(info.purpose === 'certificate-of-attendance' ? 'link.cert.intro' : 'link.report.intro')}</p>
            {info.purpose === 'certificate-of-attendance' ? (
              <>
                <label>{t('link.start')}<input type="date" name="actualStartDate" required defaultValue={info.plannedStartDate ?? undefined} /></label>
                <label>{t('link.end')}<input type="date" name="actualEndDate" required defaultValue={info.plannedEndDate ?? undefined} /></label>
                <label>{t('link.file')}<input type="file" name="file" required accept="application/pdf,image/png,image/jpeg" /></label>
              </>
            ) : (
              <label>{t('link.submittedOn')}<input type="date" name="submittedOn" required /></label>
            )}
            {error && <p class="msg error" role="alert">{error}</p>}
            <button type="submit" disabled={busy}>{t('link.send')}</button>
          </form>
        )}
    </article>
  );
}
