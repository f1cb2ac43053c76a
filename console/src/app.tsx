import { LocationProvider, Route, Router, useLocation } from 'preact-iso';
import { useContext, useEffect, useState } from 'preact/hooks';
import { api, type ConsoleMe, get, getToken, type Me, type Options, type Page, setToken, whenSignedOut } from './api';
import { currentLang, type Lang, LANGUAGES, setLanguage, t, tv } from './i18n';
import { startLive, stopLive, useLiveStatus } from './live';
import { ApplyPage } from './pages/apply';
import { IncomingPage } from './pages/incoming';
import { ImportPage } from './pages/import';
import { GroupsPage } from './pages/groups';
import { BudgetPage } from './pages/budget';
import { LoginPage } from './pages/login';
import { LinkPage } from './pages/link';
import { MobilityPage } from './pages/mobility';
import { OrganisationPage } from './pages/organisation';
import { SetPasswordPage } from './pages/set-password';
import { PipelinePage } from './pages/pipeline';
import { QualityPage } from './pages/quality';
import { WorklistPage } from './pages/worklist';
import { SessionContext, type SessionInfo } from './session';
import { Loading } from './util';

const PAGE_PATH: Record<Page, string> = { worklist: '/worklist', pipeline: '/pipeline', budget: '/budget', quality: '/quality', apply: '/applications/new', organisation: '/organisation', incoming: '/incoming', groups: '/groups', imports: '/imports' };
const PAGE_LABEL: Record<Page, 'nav.worklist' | 'nav.pipeline' | 'nav.budget' | 'nav.quality' | 'nav.apply' | 'nav.organisation' | 'nav.incoming' | 'nav.groups' | 'nav.imports'> = {
  worklist: 'nav.worklist', pipeline: 'nav.pipeline', budget: 'nav.budget', quality: 'nav.quality', apply: 'nav.apply', organisation: 'nav.organisation', incoming: 'nav.incoming', groups: 'nav.groups', imports: 'nav.imports',
};
const NAV_ORDER: Page[] = ['worklist', 'pipeline', 'budget', 'quality', 'apply', 'imports', 'groups', 'incoming', 'organisation'];

async function loadSession(): Promise<SessionInfo> {
  const [me, pages, options] = await Promise.all([get<Me>('/api/me'), get<ConsoleMe>('/api/console/me'), get<Options>('/api/console/options')]);
  return { me, pages, options };
}

export function App() {
  const [lang, setLang] = useState<Lang>(currentLang());
  const [session, setSession] = useState<SessionInfo | null>(null);
  const [checking, setChecking] = useState(Boolean(getToken()));

  useEffect(() => {
    whenSignedOut(() => {
      stopLive();
      setSession(null);
    });
    if (getToken()) {
      loadSession()
        .then((s) => {
          setSession(s);
          startLive();
        })
        .catch(() => setToken(null))
        .finally(() => setChecking(false));
    }
  }, []);

  const signedIn = async (token: string) => {
    setToken(token);
    const s = await loadSession();
    setSession(s);
    startLive();
    return s;
  };
  const switchLang = async (l: Lang) => {
    await setLanguage(l);
    setLang(l);
  };

  return (
    <LocationProvider scope={/^\/(?!api\/)/}>
      <SessionContext.Provider value={session}>
        <div class="layout" key={lang}>
          <a class="skip" href="#main">{t('app.skip')}</a>
          <Header session={session} lang={lang} onLang={switchLang} onSignOut={async () => {
            await api('POST', '/api/logout').catch(() => undefined);
            setToken(null);
            stopLive();
            setSession(null);
          }} />
          {session && <LagBanner />}
          <main id="main" tabIndex={-1}>
            {/* The invitation's set-password page works with or without a session (the link carries its token). */}
            <Unsigned checking={checking} session={session} signedIn={signedIn} />
          </main>
        </div>
      </SessionContext.Provider>
    </LocationProvider>
  );
}

function Header({ session, lang, onLang, onSignOut }: { session: SessionInfo | null; lang: Lang; onLang: (l: Lang) => void; onSignOut: () => void }) {
  const { path } = useLocation();
  return (
    <header class="top">
      <a class="brand" href={session ? PAGE_PATH[session.pages.landing] : '/login'}>{t('app.title')}</a>
      {session && (
        <nav aria-label={t('nav.main')}>
          <ul>
            {NAV_ORDER.filter((p) => session.pages.pages.includes(p)).map((p) => (
              <li key={p}>
                <a href={PAGE_PATH[p]} aria-current={path === PAGE_PATH[p] ? 'page' : undefined}>{t(PAGE_LABEL[p])}</a>
              </li>
            ))}
          </ul>
        </nav>
      )}
      <div class="top-right">
        {session && (
          <span class="who">
            {t('nav.signedInAs', { name: session.me.displayName })}
            <span class="muted"> · {[...new Set(session.me.roles.map((r) => tv('role', r.role)))].join(', ')}</span>
          </span>
        )}
        <label class="lang">
          <span class="sr-only">{t('nav.language')}</span>
          <select value={lang} onChange={(e) => onLang((e.currentTarget as HTMLSelectElement).value as Lang)} aria-label={t('nav.language')}>
            {LANGUAGES.map((l) => <option key={l} value={l} lang={l}>{l === 'fr' ? 'Français' : 'English'}</option>)}
          </select>
        </label>
        {session && <button type="button" onClick={onSignOut}>{t('nav.signOut')}</button>}
      </div>
    </header>
  );
}

/** A banner when the projections fall behind or the event stream cannot be reached (figures may be stale). */
function LagBanner() {
  const { status, online } = useLiveStatus();
  let text: string | null = null;
  if (!online) text = t('live.offline');
  else if (status?.streamUnreachable) text = t('live.unreachable');
  else if (status && status.behind > 0 && status.laggingForSeconds >= 3) text = t('live.lagging', { count: status.behind, seconds: status.laggingForSeconds });
  return (
    <div class="banner-slot" role="status" aria-live="polite">
      {text && <div class="banner" data-testid="lag-banner">{text}</div>}
    </div>
  );
}

/** A page component that shows a plain refusal to roles the page is not for (the menu does not offer it either). */
const guarded = (page: Page, C: () => preact.JSX.Element) =>
  function Guarded() {
    const s = useContext(SessionContext);
    return s?.pages.pages.includes(page) ? <C /> : <p class="msg error" role="alert">{t('error.notAllowed')}</p>;
  };
const Worklist = guarded('worklist', WorklistPage);
const Pipeline = guarded('pipeline', PipelinePage);
const Budget = guarded('budget', BudgetPage);
const Quality = guarded('quality', QualityPage);
const Apply = guarded('apply', ApplyPage);
const Organisation = guarded('organisation', OrganisationPage);
const Incoming = guarded('incoming', IncomingPage);
const Imports = guarded('imports', ImportPage);
const Groups = guarded('groups', GroupsPage);

function Unsigned({ checking, session, signedIn }: { checking: boolean; session: SessionInfo | null; signedIn: (token: string) => Promise<SessionInfo> }) {
  const { path } = useLocation();
  if (path === '/set-password') return <SetPasswordPage />;
  // A signed link's page (no session: the link is the authority).
  if (path.startsWith('/link/')) return <LinkPage token={decodeURIComponent(path.slice('/link/'.length))} />;
  return checking ? <Loading /> : session ? <SignedIn session={session} /> : <LoginPage onSignedIn={signedIn} />;
}
const NotFound = () => <p class="msg error" role="alert">{t('error.notFound')}</p>;

function SignedIn({ session }: { session: SessionInfo }) {
  const { path, route } = useLocation();
  const landing = PAGE_PATH[session.pages.landing];
  useEffect(() => {
    if (path === '/' || path === '/login') route(landing, true);
  }, [path]);
  return (
    <Router>
      <Route path="/worklist" component={Worklist} />
      <Route path="/pipeline" component={Pipeline} />
      <Route path="/budget" component={Budget} />
      <Route path="/quality" component={Quality} />
      <Route path="/applications/new" component={Apply} />
      <Route path="/organisation" component={Organisation} />
      <Route path="/incoming" component={Incoming} />
      <Route path="/imports" component={Imports} />
      <Route path="/groups" component={Groups} />
      <Route path="/mobilities/:id" component={MobilityPage} />
      <Route path="/" component={Loading} />
      <Route path="/login" component={Loading} />
      <Route default component={NotFound} />
    </Router>
  );
}

export type { Options };
