import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { useLiveRefresh } from './live';
import { t, tv } from './i18n';

/** Loads data, reloads it when `deps` change and when the server says something changed (live). */
export function useData<T>(load: () => Promise<T>, deps: unknown[], live = true) {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<unknown>(null);
  const seq = useRef(0);
  const run = useCallback(async () => {
    const n = ++seq.current;
    try {
      const d = await load();
      if (n === seq.current) {
        setData(d);
        setError(null);
      }
    } catch (err) {
      if (n === seq.current) setError(err);
    }
  }, deps);
  useEffect(() => {
    void run();
  }, [run]);
  useLiveRefresh(() => {
    if (live) void run();
  });
  return { data, error, reload: run };
}

export function Stage({ stage }: { stage: string }) {
  return <span class={`stage stage-${stage}`}>{tv('stage', stage)}</span>;
}

export function Loading() {
  return <p class="muted" role="status">{t('common.loading')}</p>;
}

export function ErrorNote({ error }: { error: unknown }) {
  return <p class="msg error" role="alert">{t('common.error', { message: (error as Error)?.message ?? String(error) })}</p>;
}

/** Sets the document title and moves focus to the page heading (keyboard and screen-reader users land on it). */
export function usePageTitle(title: string) {
  useEffect(() => {
    document.title = `${title} — ${t('app.title')}`;
  }, [title]);
}
