import { useLocation } from 'preact-iso';
import { useEffect, useState } from 'preact/hooks';
import { get, post, postOnce } from '../api';
import { SchemaForm } from '../forms';
import { currentLang, date, euros, has, t, tn, tv } from '../i18n';
import { type JsonSchema, requestSchema } from '../openapi';
import { useSession } from '../session';
import { ErrorNote, Loading, Stage, useData, usePageTitle } from '../util';
import { grantLineText } from '../server-text';

/** What GET /api/groups answers (workers/api/groups.ts). */
interface GroupRow {
  groupId: string; projectId: string; institutionId: string; activity: string; funderLineId: string;
  plan: { startDate: string; endDate: string; receivingCountry: string; hostOrgId: string; greenTravel: boolean };
  subgroups: { subgroupId: string }[]; members: number; accompanyingPersons: number;
}
interface GrantLine { ruleId: string; item: string; amountCents: number; basis: string; params?: Record<string, string | number> | null }
/** What GET /api/groups/:id answers. */
interface GroupDetail extends Omit<GroupRow, 'members' | 'accompanyingPersons'> {
  members: {
    mobilityId: string; participantRef: string; accompanyingPerson: boolean; subgroupId: string | null; stage: string;
    grantKind: 'estimated' | 'final' | null; grant: { totalCents: number; days: number; lines: GrantLine[] } | null;
  }[];
  totalCents: number;
  linesByRule: { ruleId: string; amountCents: number; members: number }[];
  organisationalSupport: {
    amountCents: number; unitCents: number | null; callYear: number; ruleId: string; basis: string; params?: Record<string, string | number>;
    totalCents: number; lines: GrantLine[]; participants: number; excludedAccompanying: number;
  };
  learners: number; accompanyingPersons: number;
  actions: { name: string; allowed: boolean; reason: string | null; members: number }[];
}
interface MemberResult { mobilityId: string; outcome: 'applied' | 'refused' | 'skipped'; stage: string | null; reason: string | null; code?: string | null }

interface MemberDraft { participantRef: string; accompanyingPerson: boolean; subgroupId: string }
interface SubgroupDraft { subgroupId: string; startDate: string; endDate: string; greenTravel: boolean; fewerOpportunities: boolean }

/**
 * Group activities (pupils, VET or adult learners with their accompanying persons, §1.8): the groups in
 * the user's scope; a new group with its subgroups and members (participants of the registry, by ref);
 * one group's members with their stages and grant lines, the group's total and its organisational
 * support; and the actions on the whole group, each answered per member. Nothing here computes a euro.
 */
export function GroupsPage() {
  usePageTitle(t('groups.title'));
  const { query, route } = useLocation();
  const selected = query.id ?? null;
  const { data, error, reload } = useData(() => get<{ groups: GroupRow[] }>('/api/groups'), []);
  const [showForm, setShowForm] = useState(query.new === '1');
  const [done, setDone] = useState<string | null>(null);
  return (
    <section aria-labelledby="groups-title" class="groups">
      <header class="page-head">
        <h1 id="groups-title">{t('groups.title')}</h1>
        <button type="button" class="primary" aria-expanded={showForm} aria-controls="group-new" onClick={() => setShowForm(!showForm)} data-testid="group-new-toggle">
          {t('groups.new')}
        </button>
      </header>
      <p>{t('groups.intro')}</p>
      {done && <p class="msg info" role="status" data-testid="group-done">{done}</p>}
      {showForm && <NewGroupForm onCreated={async (id, count) => {
        setShowForm(false);
        setDone(t('groups.created', { id, count }));
        route(`/groups?id=${encodeURIComponent(id)}`);
        await reload();
      }} />}
      {error ? <ErrorNote error={error} /> : !data ? <Loading /> : data.groups.length === 0 ? <p class="muted">{t('groups.empty')}</p> : (
        <table class="data" data-testid="groups-table">
          <caption class="sr-only">{t('groups.title')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('groups.col.id')}</th>
              <th scope="col">{t('field.activity')}</th>
              <th scope="col">{t('groups.col.destination')}</th>
              <th scope="col">{t('groups.col.dates')}</th>
              <th scope="col">{t('groups.col.members')}</th>
            </tr>
          </thead>
          <tbody>
            {data.groups.map((g) => (
              <tr key={g.groupId} class={g.groupId === selected ? 'selected' : ''}>
                <td><a href={`/groups?id=${encodeURIComponent(g.groupId)}`} aria-current={g.groupId === selected ? 'true' : undefined}>{g.groupId}</a></td>
                <td>{tv('activity', g.activity)}</td>
                <td>{g.plan.hostOrgId} ({g.plan.receivingCountry})</td>
                <td>{date(g.plan.startDate)} – {date(g.plan.endDate)}</td>
                <td>{tn('groups.learnerCount', g.members - g.accompanyingPersons)}, {tn('groups.accompanyingCount', g.accompanyingPersons)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {selected && <GroupCard key={selected} id={selected} onChanged={async () => { await reload(); }} />}
    </section>
  );
}

/** Rows of the subgroup and member editors: fields side by side, each label above its input. */
const ROW = { display: 'flex', flexWrap: 'wrap', gap: '0.75rem', alignItems: 'flex-end', margin: '0.5rem 0' } as const;
const COL = { display: 'flex', flexDirection: 'column', gap: '0.2rem' } as const;
const CHECK = { display: 'flex', alignItems: 'center', gap: '0.3rem' } as const;

/** A new group: the group's own fields as the generated form of createGroup, its subgroups and members as rows. */
function NewGroupForm({ onCreated }: { onCreated: (groupId: string, members: number) => Promise<void> }) {
  const { options } = useSession();
  const [schema, setSchema] = useState<JsonSchema | null>(null);
  const [projectId, setProjectId] = useState(options.projects.find((p) => /-KA12[12]-/.test(p.projectId))?.projectId ?? options.projects[0]?.projectId ?? '');
  const [subgroups, setSubgroups] = useState<SubgroupDraft[]>([]);
  const [members, setMembers] = useState<MemberDraft[]>([{ participantRef: '', accompanyingPerson: false, subgroupId: '' }, { participantRef: '', accompanyingPerson: true, subgroupId: '' }]);
  useEffect(() => {
    void requestSchema('createGroup').then(setSchema);
  }, []);
  const project = options.projects.find((p) => p.projectId === projectId);
  const suggestions = {
    institutionId: options.institutions.map((i) => ({ value: i.id, label: i.name })),
    siteId: options.sites.map((s) => ({ value: s.id, label: s.name })),
    funderLineId: (project?.funderLines ?? []).map((l) => ({ value: l.lineId, label: l.funder })),
  };
  const setMember = (i: number, m: Partial<MemberDraft>) => setMembers(members.map((x, j) => (j === i ? { ...x, ...m } : x)));
  const setSub = (i: number, s: Partial<SubgroupDraft>) => setSubgroups(subgroups.map((x, j) => (j === i ? { ...x, ...s } : x)));
  return (
    <section class="card" id="group-new" aria-labelledby="group-new-title">
      <h2 id="group-new-title">{t('groups.new')}</h2>
      <p class="muted">{t('groups.newIntro')}</p>
      <label>
        {t('field.projectId')}
        <input value={projectId} list="group-projects" required onInput={(e) => setProjectId((e.currentTarget as HTMLInputElement).value.trim())} data-testid="group-project" />
      </label>
      <datalist id="group-projects">
        {options.projects.map((p) => <option key={p.projectId} value={p.projectId} />)}
      </datalist>
      {!schema ? <Loading /> : (
        <SchemaForm id="group-form" schema={schema} suggestions={suggestions} submitLabel={t('groups.submit')}
          initial={{ ...(options.institutions.length === 1 ? { institutionId: options.institutions[0]!.id } : {}), activity: 'SCH-PUPIL-GRP', ...(project?.funderLines.length === 1 ? { funderLineId: project.funderLines[0]!.lineId } : {}) }}
          onSubmit={async (body) => {
            const r = await post<{ groupId: string; members: unknown[] }>(`/api/projects/${encodeURIComponent(projectId)}/groups`, {
              ...body,
              subgroups: subgroups.filter((s) => s.subgroupId.trim() !== '').map((s) => ({
                subgroupId: s.subgroupId.trim(), ...(s.startDate ? { startDate: s.startDate } : {}), ...(s.endDate ? { endDate: s.endDate } : {}),
                ...(s.greenTravel ? { greenTravel: true } : {}), ...(s.fewerOpportunities ? { fewerOpportunities: true } : {}),
              })),
              members: members.filter((m) => m.participantRef.trim() !== '').map((m) => ({
                participantRef: m.participantRef.trim(), accompanyingPerson: m.accompanyingPerson, ...(m.subgroupId ? { subgroupId: m.subgroupId } : {}),
              })),
            });
            await onCreated(r.groupId, r.members.length);
          }}>
          <fieldset class="group" data-testid="group-subgroups">
            <legend>{t('groups.subgroups')}</legend>
            <p class="muted">{t('groups.subgroupsHint')}</p>
            {subgroups.map((s, i) => (
              <div class="row" key={i} style={ROW}>
                <label style={COL}>{t('field.subgroupId')}<input value={s.subgroupId} name={`subgroups.${i}.subgroupId`} data-path={`subgroups.${i}.subgroupId`} onInput={(e) => setSub(i, { subgroupId: (e.currentTarget as HTMLInputElement).value })} /></label>
                <label style={COL}>{t('field.startDate')}<input type="date" value={s.startDate} name={`subgroups.${i}.startDate`} onInput={(e) => setSub(i, { startDate: (e.currentTarget as HTMLInputElement).value })} /></label>
                <label style={COL}>{t('field.endDate')}<input type="date" value={s.endDate} name={`subgroups.${i}.endDate`} onInput={(e) => setSub(i, { endDate: (e.currentTarget as HTMLInputElement).value })} /></label>
                <label class="check" style={CHECK}><input type="checkbox" checked={s.greenTravel} onChange={(e) => setSub(i, { greenTravel: (e.currentTarget as HTMLInputElement).checked })} />{t('field.greenTravel')}</label>
                <label class="check" style={CHECK}><input type="checkbox" checked={s.fewerOpportunities} onChange={(e) => setSub(i, { fewerOpportunities: (e.currentTarget as HTMLInputElement).checked })} />{t('field.fewerOpportunities')}</label>
                <button type="button" onClick={() => setSubgroups(subgroups.filter((_, j) => j !== i))}>{t('groups.remove')}</button>
              </div>
            ))}
            <button type="button" onClick={() => setSubgroups([...subgroups, { subgroupId: `sub-${subgroups.length + 1}`, startDate: '', endDate: '', greenTravel: false, fewerOpportunities: false }])} data-testid="group-add-subgroup">{t('groups.addSubgroup')}</button>
          </fieldset>
          <fieldset class="group" data-testid="group-members">
            <legend>{t('groups.members')}</legend>
            <p class="muted">{t('groups.membersHint')}</p>
            {members.map((m, i) => (
              <div class="row" key={i} style={ROW}>
                <label style={COL}>{t('field.participantRef')}<input value={m.participantRef} name={`members.${i}.participantRef`} data-path={`members.${i}.participantRef`} placeholder="P-…" onInput={(e) => setMember(i, { participantRef: (e.currentTarget as HTMLInputElement).value })} /></label>
                <label class="check" style={CHECK}><input type="checkbox" checked={m.accompanyingPerson} name={`members.${i}.accompanyingPerson`} onChange={(e) => setMember(i, { accompanyingPerson: (e.currentTarget as HTMLInputElement).checked })} />{t('field.accompanyingPerson')}</label>
                <label style={COL}>{t('field.subgroupId')}
                  <select value={m.subgroupId} onChange={(e) => setMember(i, { subgroupId: (e.currentTarget as HTMLSelectElement).value })}>
                    <option value="">{t('groups.noSubgroup')}</option>
                    {subgroups.filter((s) => s.subgroupId.trim() !== '').map((s) => <option key={s.subgroupId} value={s.subgroupId}>{s.subgroupId}</option>)}
                  </select>
                </label>
                <button type="button" onClick={() => setMembers(members.filter((_, j) => j !== i))}>{t('groups.remove')}</button>
              </div>
            ))}
            <button type="button" onClick={() => setMembers([...members, { participantRef: '', accompanyingPerson: false, subgroupId: '' }])} data-testid="group-add-member">{t('groups.addMember')}</button>
          </fieldset>
        </SchemaForm>
      )}
    </section>
  );
}

/** The organisational support's basis in the user's language, from its rule id and parameters (server-text.ts). */
function OrgSupportBasis({ org }: { org: GroupDetail['organisationalSupport'] }) {
  const x = grantLineText({ ruleId: org.ruleId, item: '', amountCents: org.amountCents, basis: org.basis, params: org.params ?? null });
  return <p class="muted"><code title={x.rule ?? undefined}>{org.ruleId}</code> <span lang={x.translated ? undefined : 'en'}>{x.basis}</span></p>;
}

/** A member's grant line in the user's language, from its rule id and parameters (the server's English when it sent none). */
function MemberGrantLine({ l }: { l: GrantLine }) {
  const x = grantLineText(l);
  const lang = x.translated ? undefined : 'en';
  return <li data-testid="member-grant-line"><code title={x.rule ?? undefined}>{l.ruleId}</code> <span lang={lang}>{x.item}</span>{currentLang() === 'fr' ? '\u00a0: ' : ': '}{euros(l.amountCents)} <span class="muted" lang={lang}>— {x.basis}</span></li>;
}

/** One group: members, stages, grant lines, total, organisational support; the actions on the whole group. */
function GroupCard({ id, onChanged }: { id: string; onChanged: () => Promise<void> }) {
  const { data, error, reload } = useData(() => get<GroupDetail>(`/api/groups/${encodeURIComponent(id)}`), [id]);
  const [open, setOpen] = useState<string | null>(null);
  const [schema, setSchema] = useState<JsonSchema | null>(null);
  const [results, setResults] = useState<{ action: string; results: MemberResult[] } | null>(null);
  useEffect(() => {
    setSchema(null);
    if (open) void requestSchema(`groupAction_${open}`).then(setSchema);
  }, [open]);
  if (error) return <ErrorNote error={error} />;
  if (!data) return <Loading />;
  const offered = data.actions.filter((a) => a.allowed && a.members > 0);
  const org = data.organisationalSupport;
  return (
    <article class="card" aria-labelledby="group-card-title" data-testid="group-card">
      <header class="page-head">
        <h2 id="group-card-title">{t('groups.card', { id })}</h2>
        <span>{tv('activity', data.activity)}</span>
      </header>
      <dl class="facts">
        <dt>{t('groups.col.destination')}</dt><dd>{data.plan.hostOrgId} ({data.plan.receivingCountry})</dd>
        <dt>{t('groups.col.dates')}</dt><dd>{date(data.plan.startDate)} – {date(data.plan.endDate)}</dd>
        <dt>{t('groups.col.members')}</dt><dd>{tn('groups.learnerCount', data.learners)}, {tn('groups.accompanyingCount', data.accompanyingPersons)}</dd>
        <dt>{t('groups.total')}</dt><dd data-testid="group-total">{euros(data.totalCents)}</dd>
        <dt>{t('groups.orgSupport')}</dt>
        <dd data-testid="group-org-support">
          <strong data-testid="group-org-support-amount">{euros(org.amountCents)}</strong>
          {' = '}<span data-testid="group-org-support-unit">{org.unitCents !== null
            ? t('groups.orgSupportUnit', { unit: euros(org.unitCents), counted: org.participants, year: org.callYear, rule: org.ruleId })
            : t('groups.orgSupportOwn', { counted: org.participants, year: org.callYear, rule: org.ruleId })}</span>
          {' · '}{tn('groups.countedCount', org.participants)}, {tn('groups.excludedCount', org.excludedAccompanying)}
        </dd>
      </dl>
      <details data-testid="group-org-support-basis">
        <summary>{t('groups.orgSupportBasis')}</summary>
        <OrgSupportBasis org={org} />
      </details>

      <h3>{t('action.available')}</h3>
      {offered.length === 0 ? <p class="muted">{t('action.none')}</p> : (
        <ul class="actions">
          {offered.map((a) => (
            <li key={a.name}>
              <button type="button" aria-expanded={open === a.name} class={open === a.name ? 'primary' : ''} data-action={a.name} onClick={() => setOpen(open === a.name ? null : a.name)}>
                {tv('action', a.name)} ({t('groups.forMembers', { count: a.members })})
              </button>
            </li>
          ))}
        </ul>
      )}
      {open && schema && (
        <SchemaForm key={open} id={`group-${open}`} schema={schema} submitLabel={tv('action', open)}
          initial={open === 'recordCertificateOfAttendance' ? { actualStartDate: data.plan.startDate, actualEndDate: data.plan.endDate } : open === 'confirmDeparture' ? { actualStartDate: data.plan.startDate } : {}}
          onSubmit={async (body) => {
            // One key per submission: a network retry of this request applies nothing twice.
            const key = `console-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
            const r = await postOnce<{ action: string; results: MemberResult[] }>(`/api/groups/${encodeURIComponent(id)}/actions/${open}`, body, key);
            setResults(r);
            setOpen(null);
            await reload();
            await onChanged();
          }} />
      )}
      {results && (
        <section aria-labelledby="group-results-title" data-testid="group-results">
          <h3 id="group-results-title">{t('groups.results', { action: tv('action', results.action) })}</h3>
          <ul>
            {results.results.map((r) => (
              <li key={r.mobilityId} class={`outcome-${r.outcome}`}>
                <a href={`/mobilities/${encodeURIComponent(r.mobilityId)}`}>{r.mobilityId}</a> · {tv('groups.outcome', r.outcome)}{r.stage ? <> · <Stage stage={r.stage} /></> : null}{r.reason && r.outcome !== 'applied' ? ` · ${r.code && has(`refusal.${r.code}`) ? tv('refusal', r.code) : r.reason}` : ''}
              </li>
            ))}
          </ul>
        </section>
      )}

      <h3>{t('groups.members')}</h3>
      <table class="data" data-testid="group-members-table">
        <caption class="sr-only">{t('groups.members')}</caption>
        <thead>
          <tr>
            <th scope="col">{t('field.mobilityId')}</th>
            <th scope="col">{t('field.participantRef')}</th>
            <th scope="col">{t('groups.col.role')}</th>
            <th scope="col">{t('field.subgroupId')}</th>
            <th scope="col">{t('groups.col.stage')}</th>
            <th scope="col">{t('groups.col.grant')}</th>
          </tr>
        </thead>
        <tbody>
          {data.members.map((m) => (
            <tr key={m.mobilityId}>
              <td><a href={`/mobilities/${encodeURIComponent(m.mobilityId)}`}>{m.mobilityId}</a></td>
              <td><code>{m.participantRef}</code></td>
              <td>{m.accompanyingPerson ? t('groups.accompanying') : t('groups.learner')}</td>
              <td>{m.subgroupId ?? t('common.dash')}</td>
              <td><Stage stage={m.stage} /></td>
              <td>
                {m.grant ? (
                  <details>
                    <summary>{euros(m.grant.totalCents)} <span class="muted">({tv('groups.grantKind', m.grantKind ?? '')}, {t('common.days', { count: m.grant.days })})</span></summary>
                    <ul class="lines">
                      {m.grant.lines.map((l, i) => <MemberGrantLine key={i} l={l} />)}
                    </ul>
                  </details>
                ) : t('common.dash')}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <h3>{t('groups.byRule')}</h3>
      <table class="data" data-testid="group-by-rule">
        <thead><tr><th scope="col">{t('groups.col.rule')}</th><th scope="col">{t('groups.col.members')}</th><th scope="col">{t('groups.col.amount')}</th></tr></thead>
        <tbody>
          {data.linesByRule.map((l) => <tr key={l.ruleId}><td><code>{l.ruleId}</code></td><td>{l.members}</td><td>{euros(l.amountCents)}</td></tr>)}
          <tr class="total"><th scope="row">{t('groups.total')}</th><td /><td>{euros(data.totalCents)}</td></tr>
        </tbody>
      </table>
    </article>
  );
}
