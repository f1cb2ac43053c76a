import { useState } from 'preact/hooks';
import { ApiError, post } from '../api';
import { t } from '../i18n';
import { usePageTitle } from '../util';

/**
 * The page of an invitation's link (`/set-password#token=…`): the token stays in the fragment, so it
 * is never sent to the server in a URL nor logged; the form posts it with the new password. The server
 * applies its password policy and refuses an expired, used or tampered link (nothing changes then).
 */
export function SetPasswordPage() {
  usePageTitle(t('setpw.title'));
  const token = new URLSearchParams(location.hash.replace(/^#/, '')).get('token') ?? '';
  const [errors, setErrors] = useState<{ password?: string; confirm?: string; token?: string; other?: string }>({});
  const [done, setDone] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget as HTMLFormElement);
    const password = String(form.get('password') ?? '');
    if (password !== String(form.get('confirm') ?? '')) {
      setErrors({ confirm: t('setpw.mismatch') });
      return;
    }
    setBusy(true);
    setErrors({});
    try {
      const r = await post<{ username: string }>('/api/invitations/accept', { token, password });
      setDone(r.username);
    } catch (err) {
      if (err instanceof ApiError && err.status === 400) {
        const next: typeof errors = {};
        for (const i of err.body.issues ?? []) {
          if (i.field === 'password') next.password = `${t('field.invalid')} (${i.message})`;
          else if (i.field === 'token') next.token = t('setpw.refused', { reason: i.message });
        }
        setErrors(Object.keys(next).length ? next : { other: err.body.message ?? String(err.status) });
      } else setErrors({ other: t('common.error', { message: (err as Error).message }) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="card narrow" aria-labelledby="setpw-title">
      <h1 id="setpw-title">{t('setpw.title')}</h1>
      {done ? (
        <>
          <p class="msg info" role="status" data-testid="setpw-done">{t('setpw.done', { username: done })}</p>
          <p><a class="button primary" href="/login">{t('setpw.signIn')}</a></p>
        </>
      ) : !token ? (
        <p class="msg error" role="alert">{t('setpw.noToken')}</p>
      ) : (
        <form onSubmit={submit} class="login" noValidate>
          <p>{t('setpw.intro')}</p>
          <div class={`field${errors.password ? ' invalid' : ''}`}>
            <label for="setpw-password">{t('setpw.password')}</label>
            <input id="setpw-password" name="password" type="password" autoComplete="new-password" required minLength={12}
              aria-invalid={errors.password ? 'true' : undefined} aria-describedby={errors.password ? 'setpw-password-error' : undefined} />
            {errors.password && <span class="field-error" id="setpw-password-error">{errors.password}</span>}
          </div>
          <div class={`field${errors.confirm ? ' invalid' : ''}`}>
            <label for="setpw-confirm">{t('setpw.confirm')}</label>
            <input id="setpw-confirm" name="confirm" type="password" autoComplete="new-password" required
              aria-invalid={errors.confirm ? 'true' : undefined} aria-describedby={errors.confirm ? 'setpw-confirm-error' : undefined} />
            {errors.confirm && <span class="field-error" id="setpw-confirm-error">{errors.confirm}</span>}
          </div>
          {(errors.token || errors.other) && <p class="msg error" role="alert" data-testid="setpw-refused">{errors.token ?? errors.other}</p>}
          <div class="form-actions">
            <button class="primary" type="submit" disabled={busy}>{t('setpw.submit')}</button>
          </div>
        </form>
      )}
    </section>
  );
}
