// Operations console: vanilla JS against the HTTP API (/api/*), no build step.
'use strict';
const $ = (id) => document.getElementById(id);
let token = sessionStorage.getItem('token');
let current = null; // mobility id shown in the detail

const today = () => new Date().toISOString().slice(0, 10);
/** Example bodies for each action (the actor is the signed-in user). */
const TEMPLATES = {
  select: {}, promote: {}, approveExtension: {},
  reject: { reasonCode: 'selection-ranking' },
  withdraw: { reasonCode: 'participant-request' },
  cancel: { reasonCode: 'institution-decision' },
  signAgreement: { participantSignedOn: today(), institutionSignedOn: today() },
  confirmDeparture: { actualStartDate: today() },
  recordCertificateOfAttendance: { actualStartDate: today(), actualEndDate: today() },
  recordInterruption: { from: today(), to: today(), reasonCode: 'academic-break' },
  declareForceMajeure: { reasonCode: 'travel-disruption' },
  requestExtension: { newEndDate: today() },
  refuseExtension: { reasonCode: 'host-declined' },
  changeLearningAgreement: { reasonCode: 'not-available' },
  recordReportSubmitted: { submittedOn: today() },
  recordOlsAssessment: { phase: 'before', language: 'de', level: 'B1' },
  recordTranscriptOfRecords: { receivedOn: today(), ects: 30 },
  recordRecognition: { outcome: 'full', recognisedEcts: 30 },
};
const SAMPLE_APPLICATION = {
  mobilityId: '2024-1-FR01-KA131-HED-000042-MOB-00101', projectId: '2024-1-FR01-KA131-HED-000042',
  institutionId: 'F-LYON-003', consortiumId: null, participantRef: 'P-demo0101', activity: 'HE-SMS', funderLineId: 'erasmus',
  plan: { startDate: '2026-09-01', endDate: '2027-01-31', receivingCountry: 'DE', sendingCountry: 'FR', hostOrgId: 'D-BERLIN-01', distanceKm: 800, greenTravel: false, fewerOpportunities: false },
  rates: { callYear: 2024, rates: { monthlyEur: 600 } },
};

function flash(text, kind = 'info') {
  const box = $('flash');
  box.replaceChildren();
  if (!text) return;
  const div = document.createElement('div');
  div.className = `msg ${kind}`;
  div.textContent = text;
  box.append(div);
}

async function api(method, path, body) {
  const res = await fetch(path, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  const data = res.status === 204 ? null : await res.json().catch(() => null);
  if (res.status === 401 && path !== '/api/login') signedOut('Your session has ended: sign in again.');
  if (!res.ok) {
    const err = new Error((data && (data.reason || data.message)) || `HTTP ${res.status}`);
    err.status = res.status;
    throw err;
  }
  return data;
}

/** Builds a table row from cell values (text only: never HTML from the API). */
function row(cells, opts = {}) {
  const tr = document.createElement('tr');
  for (const [i, c] of cells.entries()) {
    const td = document.createElement('td');
    if (c instanceof Node) td.append(c); else td.textContent = c == null ? '—' : String(c);
    if (opts.num && opts.num.includes(i)) td.className = 'num';
    tr.append(td);
  }
  return tr;
}
const eur = (cents) => (cents == null ? '—' : (Number(cents) / 100).toLocaleString(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 }));
const stageTag = (s) => Object.assign(document.createElement('span'), { className: 'stage', textContent: s });

function signedOut(message) {
  token = null;
  sessionStorage.removeItem('token');
  $('app').hidden = true;
  $('login-section').hidden = false;
  $('logout').hidden = true;
  $('who').textContent = '';
  if (message) flash(message, 'error');
}

async function signedIn() {
  const me = await api('GET', '/api/me');
  $('who').textContent = `${me.displayName} (${me.roles.map((g) => `${g.role} @ ${g.scope.id}`).join(', ')})`;
  $('login-section').hidden = true;
  $('app').hidden = false;
  $('logout').hidden = false;
  $('submit-form').elements.body.value = JSON.stringify(SAMPLE_APPLICATION, null, 2);
  await Promise.all([loadList(), loadBudget(), loadQuality()]);
}

async function loadList() {
  const stage = $('filter-form').elements.stage.value;
  const data = await api('GET', `/api/mobilities${stage ? `?stage=${encodeURIComponent(stage)}` : ''}`);
  const body = $('mobilities');
  body.replaceChildren();
  for (const m of data.mobilities) {
    const link = Object.assign(document.createElement('a'), { href: `#${m.mobilityId}`, textContent: m.mobilityId });
    link.addEventListener('click', (e) => { e.preventDefault(); void showMobility(m.mobilityId); });
    body.append(row([link, m.institutionId, [m.consortiumId, m.siteId].filter(Boolean).join(' / ') || 'own project', m.activity, stageTag(m.stage), m.nextDeadline ? `${m.nextDeadline} — ${m.nextDeadlineDue}` : null]));
  }
  if (data.mobilities.length === 0) body.append(row(['No mobility in your scope yet.', '', '', '', '', '']));
}

async function showMobility(id) {
  current = id;
  let d;
  try {
    d = await api('GET', `/api/mobilities/${encodeURIComponent(id)}`);
  } catch (err) {
    flash(`${id}: ${err.message}`, 'error');
    return;
  }
  $('detail').hidden = false;
  $('detail-title').textContent = `Mobility ${id}`;
  const s = d.state;
  const summary = $('detail-summary');
  summary.replaceChildren();
  const p = document.createElement('p');
  p.append('Stage ', stageTag(d.stage), ` · ${s.identity.activity} · participant ${s.identity.participantRef} · ${s.identity.institutionId}` +
    `${s.identity.consortiumId ? ` (consortium ${s.identity.consortiumId})` : ''} · plan ${s.plan.startDate} → ${s.plan.endDate}, ${s.plan.sendingCountry} → ${s.plan.receivingCountry}` +
    ` · line ${d.grant.budget.lineId}, held ${eur(d.grant.budget.heldCents)} EUR`);
  summary.append(p);

  const actions = $('detail-actions');
  actions.replaceChildren();
  for (const a of d.actions) {
    const b = Object.assign(document.createElement('button'), { type: 'button', textContent: a.name, disabled: !a.allowed });
    if (!a.allowed) b.title = a.reason;
    b.setAttribute('aria-label', a.allowed ? a.name : `${a.name} (not allowed: ${a.reason})`);
    b.addEventListener('click', () => openAction(a.name));
    actions.append(b);
  }
  if (d.actions.length === 0) actions.textContent = 'No action in this stage.';

  const dl = $('detail-deadlines');
  dl.replaceChildren();
  for (const x of d.deadlines.deadlines) dl.append(row([x.label || x.id, x.dueDate, x.status]));
  const gl = $('detail-grant');
  gl.replaceChildren();
  const grant = d.grant.final || d.grant.estimated;
  if (grant) {
    for (const l of grant.lines) gl.append(row([l.ruleId, l.item, eur(l.amountCents), l.basis], { num: [2] }));
    gl.append(row([d.grant.final ? 'final total' : 'estimated total', '', eur(grant.totalCents), ''], { num: [2] }));
  } else gl.append(row(['No grant computed before selection.', '', '', '']));
  const au = $('detail-audit');
  au.replaceChildren();
  for (const e of d.audit) au.append(row([e.at.replace('T', ' ').slice(0, 19), e.actor, e.action, e.outcome, [e.detail, e.events.join(', ')].filter(Boolean).join(' — ')]));
  $('detail').focus();
}

function openAction(name) {
  const f = $('action-form');
  f.hidden = false;
  f.dataset.action = name;
  $('action-legend').textContent = `${name} on ${current}`;
  f.elements.body.value = JSON.stringify(TEMPLATES[name] ?? {}, null, 1);
  $('action-hint').textContent = `POST /api/mobilities/${current}/actions/${name}`;
  f.elements.body.focus();
}

$('action-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const f = e.currentTarget;
  let body;
  try { body = JSON.parse(f.elements.body.value || '{}'); } catch { flash('The body is not valid JSON.', 'error'); return; }
  try {
    const r = await api('POST', `/api/mobilities/${encodeURIComponent(current)}/actions/${f.dataset.action}`, body);
    flash(`${r.action}: now ${r.stage} (${r.events.join(', ') || 'no event'})`);
    f.hidden = true;
    await showMobility(current);
    void loadList();
  } catch (err) {
    flash(`${f.dataset.action} refused (${err.status}): ${err.message}`, 'error');
  }
});
$('action-cancel').addEventListener('click', () => { $('action-form').hidden = true; });

$('submit-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  let body;
  try { body = JSON.parse(e.currentTarget.elements.body.value); } catch { flash('The application is not valid JSON.', 'error'); return; }
  try {
    const r = await api('POST', '/api/mobilities', body);
    flash(`Application ${r.mobilityId} registered (${r.stage}).`);
    await loadList();
    await showMobility(r.mobilityId);
  } catch (err) {
    flash(`Application refused (${err.status}): ${err.message}`, 'error');
  }
});

function figuresTable(container, rows, columns) {
  container.replaceChildren();
  if (rows.length === 0) { container.textContent = 'No figures in your scope yet.'; return; }
  const t = document.createElement('table');
  const head = document.createElement('tr');
  for (const [label, , num] of columns) head.append(Object.assign(document.createElement('th'), { scope: 'col', textContent: label, className: num ? 'num' : '' }));
  const thead = document.createElement('thead'); thead.append(head);
  const tbody = document.createElement('tbody');
  for (const r of rows) tbody.append(row(columns.map(([, f]) => f(r)), { num: columns.map((c, i) => (c[2] ? i : -1)) }));
  t.append(thead, tbody);
  container.append(t);
}

async function loadBudget() {
  try {
    const data = await api('GET', `/api/budget?groupBy=${$('budget-group').value}`);
    const key = (r) => [r.projectId, r.fundingLineId ?? r.funderLineId, r.institutionId, r.consortiumId].filter((x) => x !== undefined && x !== null).join(' / ');
    figuresTable($('budget'), data.rows, [
      ['Scope', key], ['Allocated', (r) => eur(r.allocatedCents), 1], ['Committed', (r) => eur(r.committedCents), 1], ['Paid', (r) => eur(r.paidCents), 1],
      ['Remaining', (r) => eur(r.remainingCents), 1], ['Mobilities', (r) => `${r.mobilitiesUsed} / ${r.allocatedMobilities}`, 1],
    ]);
  } catch (err) {
    $('budget').textContent = err.message;
  }
}

async function loadQuality() {
  try {
    const data = await api('GET', `/api/quality?scope=${$('quality-scope').value}`);
    figuresTable($('quality'), data.rows, [
      ['Scope', (r) => r.scopeId], ['Mobilities', (r) => r.mobilities, 1], ['Reports', (r) => `${r.reportsSubmitted} / ${r.reportsInvited}`, 1],
      ['Recognitions', (r) => r.recognitions, 1], ['Deadlines missed', (r) => r.deadlinesMissed, 1],
    ]);
    const p = document.createElement('p');
    p.className = 'muted';
    p.textContent = `Per stage: ${data.stages.map((s) => `${s.stage} ${s.mobilities}`).join(' · ') || '—'}`;
    $('quality').append(p);
  } catch (err) {
    $('quality').textContent = err.message;
  }
}

$('login-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const f = e.currentTarget;
  try {
    const r = await api('POST', '/api/login', { username: f.elements.username.value, password: f.elements.password.value });
    token = r.token;
    sessionStorage.setItem('token', token);
    f.reset();
    flash('');
    await signedIn();
  } catch (err) {
    flash(err.status === 401 ? 'Wrong username or password.' : err.message, 'error');
  }
});
$('logout').addEventListener('click', async () => {
  await api('POST', '/api/logout').catch(() => undefined);
  signedOut();
  flash('Signed out.');
});
$('filter-form').addEventListener('submit', (e) => { e.preventDefault(); void loadList(); });
$('budget-group').addEventListener('change', () => void loadBudget());
$('quality-scope').addEventListener('change', () => void loadQuality());

if (token) signedIn().catch(() => signedOut());
