import { useLocation } from 'preact-iso';
import { useState } from 'preact/hooks';
import { ApiError, post, type Page } from '../api';
import { t } from '../i18n';
import type { SessionInfo } from '../session';
import { usePageTitle } from '../util';

const LANDING: Record<Page, string> = { worklist: '/worklist', pipeline: '/pipeline', budget: '/budget', quality: '/quality', apply: '/applications/new', organisation: '/organisation', incoming: '/incoming', groups: '/groups', imports: '/imports' };

export function LoginPage({ onSignedIn }: { onSignedIn: (token: string) => Promise<SessionInfo> }) {
  usePageTitle(t('login.title'));
  const { path, route } = useLocation();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget as HTMLFormElement);
    setBusy(true);
    setError(null);
    try {
      const r = await post<{ token: string }>('/api/login', { username: String(form.get('username') ?? ''), password: String(form.get('password') ?? '') });
      const s = await onSignedIn(r.token);
      // A deep link survives the sign-in; otherwise each role lands on its own page.
      route(path === '/' || path === '/login' ? LANDING[s.pages.landing] : `${location.pathname}${location.search}`, true);
    } catch (err) {
      setError(err instanceof ApiError && (err.status === 401 || err.status === 400) ? t('login.failed') : t('common.error', { message: (err as Error).message }));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="card narrow" aria-labelledby="login-title">
      <h1 id="login-title">{t('login.title')}</h1>
      <form onSubmit={submit} class="login">
        <div class="field">
          <label for="login-username">{t('login.username')}</label>
          <input id="login-username" name="username" autoComplete="username" required />
        </div>
        <div class="field">
          <label for="login-password">{t('login.password')}</label>
          <input id="login-password" name="password" type="password" autoComplete="current-password" required />
        </div>
        {error && <p class="msg error" role="alert">{error}</p>}
        <div class="form-actions">
          <button class="primary" type="submit" disabled={busy}>{t('login.submit')}</button>
        </div>
      </form>
      <p class="muted">{t('login.api')}: <a href="/api/openapi.json" target="_blank" rel="noopener">/api/openapi.json</a></p>
    </section>
  );
}
