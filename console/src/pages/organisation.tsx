import { useEffect, useState } from 'preact/hooks';
import { get, post } from '../api';
import { SchemaForm } from '../forms';
import { dateTime, t, tv } from '../i18n';
import { type JsonSchema, requestSchema } from '../openapi';
import { ErrorNote, Loading, useData, usePageTitle } from '../util';

/**
 * The organisation in the user's scope (GET /api/organisation: what it sees and whether it manages
 * each unit, both decided by the server) and the forms to create and edit it: institutions, sites,
 * consortium members and their functions, staff accounts and their roles. Every form is the request
 * body of its route in the OpenAPI document; the server's refusal shows next to the field it names.
 */

type Kind = 'network' | 'consortium' | 'institution' | 'site';
interface Grant { role: string; scope: { kind: Kind; id: string } }
interface Org {
  networks: { id: string; name: string; manage: boolean }[];
  consortia: { id: string; networkId: string; name: string; manage: boolean; members: { institutionId: string; functions: string[] }[] }[];
  institutions: { id: string; networkId: string; name: string; erasmusCode?: string; oid?: string; manage: boolean }[];
  sites: { id: string; institutionId: string; name: string; manage: boolean }[];
  managed: Record<Kind, string[]>;
  staff: { username: string; displayName: string; email: string | null; grants: Grant[]; status: 'invited' | 'active' | 'disabled'; invitationExpiresAt: string | null; manage: boolean }[];
  roles: { role: string; scopeKinds: Kind[] }[];
}
interface AuditRow { id: string; at: string; actor: string; action: string; unitKind: Kind; unitId: string; subject: string | null; before: unknown; after: unknown }

const OPS = ['createInstitution', 'updateInstitution', 'createSite', 'createStaff', 'grantRole', 'setConsortiumMember', 'createConsortium'] as const;
type Op = (typeof OPS)[number];

/** An audited value as a reader sees it: names of units, translated functions and roles, yes/no; never raw JSON. */
function auditValue(field: string, v: unknown, label: (id: string) => string): string {
  if (v === null || v === undefined || v === '') return t('orgAudit.empty');
  if (typeof v === 'boolean') return t(v ? 'common.yes' : 'common.no');
  if (Array.isArray(v)) {
    if (v.length === 0) return t('orgAudit.empty');
    return v.map((x) => {
      if (field === 'functions' && typeof x === 'string') return tv('org.function', x);
      const g = x as Partial<Grant>;
      if (g && typeof g === 'object' && g.role && g.scope) return t('orgAudit.grant', { role: tv('role', g.role), scope: `${tv('code', g.scope.kind)} ${label(g.scope.id)}` });
      return typeof x === 'object' ? Object.values(x as object).map(String).join(' ') : String(x);
    }).join(', ');
  }
  if (typeof v === 'object') return Object.entries(v as object).map(([k, x]) => `${tv('orgAudit.field', k)}: ${auditValue(k, x, label)}`).join(', ');
  return /Id$/.test(field) || field === 'id' ? label(String(v)) : String(v);
}

/** The audit's before/after as the fields that changed: "Name: A → B"; a creation lists what was set, a removal what was removed. */
function AuditChange({ before, after, label }: { before: unknown; after: unknown; label: (id: string) => string }) {
  const b = (before ?? {}) as Record<string, unknown>;
  const a = (after ?? {}) as Record<string, unknown>;
  const fields = [...new Set([...Object.keys(b), ...Object.keys(a)])].filter((k) => JSON.stringify(b[k]) !== JSON.stringify(a[k]));
  if (fields.length === 0) return <span>{t('orgAudit.unchanged')}</span>;
  const status = before === null || before === undefined ? t('orgAudit.created') : after === null || after === undefined ? t('orgAudit.removed') : null;
  return (
    <>
      {status && <span>{status} · </span>}
      <ul class="changes">
        {fields.map((k) => {
          const field = tv('orgAudit.field', k);
          const text = before === null || before === undefined
            ? t('orgAudit.set', { field, after: auditValue(k, a[k], label) })
            : t('orgAudit.change', { field, before: auditValue(k, b[k], label), after: auditValue(k, a[k], label) });
          return <li key={k}>{text}</li>;
        })}
      </ul>
    </>
  );
}

export function OrganisationPage() {
  usePageTitle(t('org.title'));
  const { data, error, reload } = useData(() => get<Org>('/api/organisation'), []);
  const audit = useData(() => get<{ rows: AuditRow[] }>('/api/organisation/audit', { limit: 50 }), []);
  const [schemas, setSchemas] = useState<Partial<Record<Op, JsonSchema>>>({});
  const [notice, setNotice] = useState<{ text: string; error?: boolean } | null>(null);
  const [editing, setEditing] = useState<string | null>(null);
  const [generation, setGeneration] = useState(0);
  useEffect(() => {
    void Promise.all(OPS.map(async (op) => [op, await requestSchema(op)] as const)).then((all) =>
      setSchemas(Object.fromEntries(all.filter(([, s]) => s)) as Partial<Record<Op, JsonSchema>>));
  }, []);
  if (error) return <ErrorNote error={error} />;
  if (!data) return <Loading />;

  const names = new Map<string, string>([...data.networks, ...data.consortia, ...data.institutions, ...data.sites].map((u) => [u.id, u.name]));
  const label = (id: string) => (names.get(id) ? `${names.get(id)} (${id})` : id);
  const option = (id: string) => ({ value: id, label: names.get(id) ?? id });
  const managedUnits = (Object.keys(data.managed) as Kind[]).flatMap((k) => data.managed[k].map((id) => ({ value: id, label: `${tv('code', k)} — ${names.get(id) ?? id}` })));
  /** After a change: say so, reload what the server holds, and give the forms fresh values. */
  const changed = async (text: string) => {
    setNotice({ text });
    setEditing(null);
    setGeneration((g) => g + 1);
    await Promise.all([reload(), audit.reload()]);
  };
  const form = (op: Op, props: { id: string; submit: string; initial?: Record<string, unknown>; suggestions?: Record<string, { value: string; label: string }[]>; send: (body: Record<string, unknown>) => Promise<string> }) =>
    schemas[op] ? (
      <SchemaForm key={`${props.id}-${generation}`} id={props.id} schema={schemas[op]!} submitLabel={props.submit} initial={props.initial} suggestions={props.suggestions}
        onSubmit={async (body) => changed(await props.send(body))} />
    ) : <Loading />;
  const manageBadge = (m: boolean) => <span class={m ? 'badge ok' : 'badge muted'}>{m ? t('org.manage') : t('org.readOnly')}</span>;
  const codes = (i: { erasmusCode?: string; oid?: string }) => [i.erasmusCode, i.oid].filter(Boolean).join(' · ') || t('common.dash');

  return (
    <section aria-labelledby="org-title" data-testid="organisation">
      <h1 id="org-title">{t('org.title')}</h1>
      <p>{t('org.intro')}</p>
      {notice && <p class={`msg ${notice.error ? 'error' : 'info'}`} role={notice.error ? 'alert' : 'status'} data-testid="org-notice">{notice.text}</p>}

      {data.networks.length > 0 && (
        <section class="card" aria-labelledby="org-networks">
          <h2 id="org-networks">{t('org.networks')}</h2>
          <ul>{data.networks.map((n) => <li key={n.id}>{label(n.id)} {manageBadge(n.manage)}</li>)}</ul>
          {data.managed.network.length > 0 && (
            <details>
              <summary>{t('org.newConsortium')}</summary>
              {form('createConsortium', {
                id: 'new-consortium', submit: t('org.create'),
                suggestions: { networkId: data.managed.network.map(option), coordinatorInstitutionId: data.managed.institution.map(option) },
                send: async (body) => { await post('/api/organisation/consortia', body); return t('org.saved'); },
              })}
            </details>
          )}
        </section>
      )}

      {data.consortia.length > 0 && (
        <section class="card" aria-labelledby="org-consortia">
          <h2 id="org-consortia">{t('org.consortia')}</h2>
          {data.consortia.map((c) => (
            <div key={c.id} class="org-consortium">
              <h3>{label(c.id)} {manageBadge(c.manage)}</h3>
              <div class="table-wrap" tabIndex={0} role="region" aria-label={t('common.table')}>
                <table class="compact" data-testid={`members-${c.id}`}>
                  <thead><tr><th scope="col">{t('org.col.institution')}</th><th scope="col">{t('org.col.functions')}</th></tr></thead>
                  <tbody>
                    {c.members.map((m) => (
                      <tr key={m.institutionId}>
                        <td>{label(m.institutionId)}</td>
                        <td>{m.functions.length ? m.functions.map((f) => t(`org.function.${f}` as 'org.function.quality-control')).join(', ') : t('common.dash')}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
              {c.manage && (
                <details>
                  <summary>{t('org.setMember')}</summary>
                  {form('setConsortiumMember', {
                    id: `member-${c.id}`, submit: t('org.save'),
                    suggestions: { institutionId: [...new Set([...c.members.map((m) => m.institutionId), ...data.managed.institution])].map(option) },
                    send: async (body) => { await post(`/api/organisation/consortia/${encodeURIComponent(c.id)}/members`, body); return t('org.saved'); },
                  })}
                </details>
              )}
            </div>
          ))}
        </section>
      )}

      <section class="card" aria-labelledby="org-institutions">
        <h2 id="org-institutions">{t('org.institutions')}</h2>
        {data.institutions.length === 0 ? <p class="muted">{t('org.none')}</p> : (
          <div class="table-wrap" tabIndex={0} role="region" aria-label={t('common.table')}>
            <table data-testid="institutions">
              <thead><tr><th scope="col">{t('org.col.id')}</th><th scope="col">{t('org.col.name')}</th><th scope="col">{t('org.col.codes')}</th><th scope="col">{t('org.col.network')}</th><th scope="col"><span class="sr-only">{t('org.edit')}</span></th></tr></thead>
              <tbody>
                {data.institutions.map((i) => (
                  <tr key={i.id}>
                    <td>{i.id}</td><td>{i.name}</td><td>{codes(i)}</td><td>{names.get(i.networkId) ?? i.networkId}</td>
                    <td>{i.manage ? <button type="button" onClick={() => setEditing(editing === i.id ? null : i.id)} aria-expanded={editing === i.id}>{editing === i.id ? t('org.close') : t('org.edit')}</button> : manageBadge(false)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {editing && data.institutions.some((i) => i.id === editing) && (() => {
          const i = data.institutions.find((x) => x.id === editing)!;
          return (
            <div class="card inset">
              <h3>{t('org.edit')} — {i.name}</h3>
              {form('updateInstitution', {
                id: 'edit-institution', submit: t('org.save'), initial: { name: i.name, erasmusCode: i.erasmusCode, oid: i.oid },
                send: async (body) => { await post(`/api/organisation/institutions/${encodeURIComponent(i.id)}`, body); return t('org.saved'); },
              })}
            </div>
          );
        })()}
        {(data.managed.consortium.length > 0 || data.managed.network.length > 0) && (
          <details open={data.institutions.length <= 1}>
            <summary>{t('org.newInstitution')}</summary>
            {form('createInstitution', {
              id: 'new-institution', submit: t('org.create'),
              initial: data.managed.consortium.length === 1 && data.managed.network.length === 0 ? { consortiumId: data.managed.consortium[0] } : {},
              suggestions: { consortiumId: data.managed.consortium.map(option), networkId: data.managed.network.map(option) },
              send: async (body) => { await post('/api/organisation/institutions', body); return t('org.saved'); },
            })}
          </details>
        )}
      </section>

      <section class="card" aria-labelledby="org-sites">
        <h2 id="org-sites">{t('org.sites')}</h2>
        {data.sites.length === 0 ? <p class="muted">{t('org.none')}</p> : (
          <ul data-testid="sites">{data.sites.map((s) => <li key={s.id}>{label(s.id)} — {names.get(s.institutionId) ?? s.institutionId}</li>)}</ul>
        )}
        {data.managed.institution.length > 0 && (
          <details>
            <summary>{t('org.newSite')}</summary>
            {form('createSite', {
              id: 'new-site', submit: t('org.create'), suggestions: { institutionId: data.managed.institution.map(option) },
              send: async (body) => { await post('/api/organisation/sites', body); return t('org.saved'); },
            })}
          </details>
        )}
      </section>

      <section class="card" aria-labelledby="org-staff">
        <h2 id="org-staff">{t('org.staff')}</h2>
        {data.staff.length === 0 ? <p class="muted">{t('org.none')}</p> : (
          <div class="table-wrap" tabIndex={0} role="region" aria-label={t('common.table')}>
            <table data-testid="staff">
              <thead><tr><th scope="col">{t('field.username')}</th><th scope="col">{t('field.displayName')}</th><th scope="col">{t('org.col.grants')}</th><th scope="col">{t('org.col.status')}</th><th scope="col"><span class="sr-only">{t('org.edit')}</span></th></tr></thead>
              <tbody>
                {data.staff.map((s) => (
                  <tr key={s.username} data-username={s.username}>
                    <td>{s.username}</td>
                    <td>{s.displayName}</td>
                    <td>{s.grants.map((g) => `${tv('role', g.role)} — ${names.get(g.scope.id) ?? g.scope.id}`).join('; ')}</td>
                    <td>{t(`org.status.${s.status}`)}{s.invitationExpiresAt && <span class="muted"> · {dateTime(s.invitationExpiresAt)}</span>}</td>
                    <td>
                      {s.manage ? (
                        <>
                          <button type="button" onClick={() => setEditing(editing === `staff:${s.username}` ? null : `staff:${s.username}`)}>{t('org.grantRole')}</button>
                          {s.status === 'invited' && (
                            <button type="button" onClick={async () => {
                              try {
                                const r = await post<{ invitation: { expiresAt: string; sent: boolean } }>(`/api/organisation/staff/${encodeURIComponent(s.username)}/invitation`, {});
                                await changed(r.invitation.sent ? t('org.invited', { email: s.email ?? s.username, until: dateTime(r.invitation.expiresAt) }) : t('org.notSent'));
                              } catch (err) {
                                setNotice({ text: (err as Error).message, error: true });
                              }
                            }}>{t('org.resend')}</button>
                          )}
                        </>
                      ) : manageBadge(false)}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {editing?.startsWith('staff:') && (() => {
          const username = editing.slice('staff:'.length);
          return (
            <div class="card inset">
              <h3>{t('org.grantRole')} — {username}</h3>
              {form('grantRole', {
                id: 'grant-role', submit: t('org.save'), suggestions: { scopeId: managedUnits },
                send: async (body) => { await post(`/api/organisation/staff/${encodeURIComponent(username)}/grants`, body); return t('org.saved'); },
              })}
            </div>
          );
        })()}
        {data.roles.length > 0 && (
          <details>
            <summary>{t('org.newStaff')}</summary>
            <p class="muted">{t('org.newStaffIntro')}</p>
            {form('createStaff', {
              id: 'new-staff', submit: t('org.create'), suggestions: { scopeId: managedUnits },
              send: async (body) => {
                const r = await post<{ invitation: { expiresAt: string; sent: boolean } }>('/api/organisation/staff', body);
                return r.invitation.sent ? t('org.invited', { email: String(body.email), until: dateTime(r.invitation.expiresAt) }) : t('org.notSent');
              },
            })}
          </details>
        )}
      </section>

      {audit.data && (
        <section class="card" aria-labelledby="org-audit">
          <h2 id="org-audit">{t('org.audit')}</h2>
          <div class="table-wrap" tabIndex={0} role="region" aria-label={t('common.table')}>
            <table class="compact" data-testid="audit">
              <thead><tr><th scope="col">{t('org.col.at')}</th><th scope="col">{t('org.col.actor')}</th><th scope="col">{t('org.col.action')}</th><th scope="col">{t('org.col.unit')}</th><th scope="col">{t('org.col.change')}</th></tr></thead>
              <tbody>
                {audit.data.rows.map((r) => (
                  <tr key={r.id}>
                    <td>{dateTime(r.at)}</td><td>{r.actor}</td><td>{tv('orgAudit.action', r.action)}{r.subject && ` · ${r.subject}`}</td>
                    <td>{tv('code', r.unitKind)} {label(r.unitId)}</td>
                    <td class="muted" data-testid="audit-change"><AuditChange before={r.before} after={r.after} label={label} /></td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>
      )}
    </section>
  );
}
