/** The console's only way to the server: the HTTP API, with the session token as a bearer. */
const TOKEN = 'mobility-console.token';

export const getToken = (): string | null => sessionStorage.getItem(TOKEN);
export const setToken = (token: string | null): void => {
  if (token) sessionStorage.setItem(TOKEN, token);
  else sessionStorage.removeItem(TOKEN);
};

/** An answer other than success, as the API sent it ({ error, message, issues?, reason?, code?, ruleId? }). */
export class ApiError extends Error {
  constructor(readonly status: number, readonly body: ApiErrorBody) {
    super(body.message ?? `HTTP ${status}`);
  }
}
export interface ApiErrorBody {
  error?: string;
  message?: string;
  issues?: { field: string; message: string; code?: string; params?: Record<string, string | number> }[];
  reason?: string;
  code?: string;
  ruleId?: string | null;
}

let onUnauthorized: () => void = () => undefined;
export const whenSignedOut = (f: () => void): void => {
  onUnauthorized = f;
};

export async function api<T>(method: 'GET' | 'POST', path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
  const token = getToken();
  const res = await fetch(path, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  const parsed: unknown = text ? JSON.parse(text) : null;
  if (res.status === 401 && path !== '/api/login') {
    setToken(null);
    onUnauthorized();
  }
  if (!res.ok) throw new ApiError(res.status, (parsed ?? {}) as ApiErrorBody);
  return parsed as T;
}

export const get = <T>(path: string, query?: Record<string, string | number | undefined | null>): Promise<T> => {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return api<T>('GET', s ? `${path}?${s}` : path);
};
export const post = <T>(path: string, body: unknown): Promise<T> => api<T>('POST', path, body);
/** A POST the server applies once per key (Idempotency-Key): a retry of the same request answers the same. */
export const postOnce = <T>(path: string, body: unknown, key: string): Promise<T> => api<T>('POST', path, body, { 'idempotency-key': key });

// ---------- what the server answers ----------
export interface Me {
  username: string;
  displayName: string;
  roles: { role: string; scope: { kind: string; id: string } }[];
  may: string[];
}
export interface ConsoleMe {
  pages: Page[];
  landing: Page;
}
export type Page = 'worklist' | 'pipeline' | 'budget' | 'quality' | 'apply' | 'organisation' | 'incoming' | 'groups' | 'imports';

export interface Options {
  projects: { projectId: string; institutionId: string; consortiumId: string | null; funderLines: { lineId: string; funder: string }[] }[];
  institutions: { id: string; name: string }[];
  consortia: { id: string; name: string }[];
  sites: { id: string; institutionId: string; name: string }[];
  activities: string[];
  /** Every stage, in the lifecycle table's order. */
  stages: string[];
}

export interface PipelineRow {
  mobilityId: string; projectId: string; institutionId: string; consortiumId: string | null; siteId: string | null;
  activity: string | null; stage: string; participantRef: string | null; fewerOpportunities: boolean; greenTravel: boolean;
  nextDueOn: string | null; deadlineState: 'overdue' | 'this-week' | 'later' | 'none';
}
export interface Pipeline { stages: { stage: string; mobilities: number }[]; total: number; limit: number; offset: number; rows: PipelineRow[]; today: string }

export interface WorkItem {
  mobilityId: string; projectId: string; institutionId: string; siteId: string | null; activity: string | null; stage: string;
  participantRef: string | null; kind: string; dueOn: string; daysLate: number; state: 'overdue' | 'due'; action: string | null;
  /** Whether this user may do it; else another role does. */
  allowed: boolean;
}
export interface Worklist {
  today: string; withinDays: number; items: WorkItem[];
  reminders: { mobilityId: string; deadline: string; kind: string; audience: string; dueOn: string; sentAt: string }[];
}

/** A grant line; `params` (read side only) are the values its basis is made of, for the console to word it by rule id. */
export interface GrantLine { ruleId: string; item: string; amountCents: number; basis: string; params?: Record<string, string | number> | null }
/** A co-funded mobility's shares, one per line and rule, and what the budget guard holds on each line (the server's). */
export interface FundingShare { lineId: string; funder: string; ruleId: string; amountCents: number; basis: string }
export interface Funding { estimated: FundingShare[]; final: FundingShare[]; held: { lineId: string; heldCents: number }[] }
export interface Breakdown { totalCents: number; lines: GrantLine[]; callYear: number; days: number }
export interface ActionOffer { name: string; permission: string; allowed: boolean; reason: string | null }
export interface Deadline { id: string; label: string; dueDate: string; status: string; daysLate: number; kind: string; fulfilledAt: string | null }
export interface AuditEntry { at: string; actor: string; action: string; outcome: string; detail: string; events: string[] }
export interface MobilityDetail {
  mobilityId: string;
  stage: string;
  state: Record<string, any> & { stage: string };
  deadlines: { deadlines: Deadline[]; remindersSent: Record<string, { count: number; lastAt: string }> };
  grant: { estimated: Breakdown | null; final: Breakdown | null; payments: { prefinancingCents: number; balanceCents: number; recoveredCents: number; orders: { kind: string; amountCents: number; at: string; paymentId: string }[] } | null; budget: { lineId: string; heldCents: number; note: string | null }; funding?: Funding };
  audit: AuditEntry[];
  actions: ActionOffer[];
}

export interface LiveStatus { behind: number; laggingForSeconds: number; streamUnreachable: boolean; checkedAt: string }

// ---------- recognition records (Europass Mobility PDF, open badge JSON, staff career record PDF) ----------
export interface RecognitionRecord { kind: 'europass' | 'open-badge' | 'career-record'; available: boolean; allowed: boolean; reason: string | null; href: string }
export interface RecognitionRecords { mobilityId: string; records: RecognitionRecord[] }

/** Downloads a file the API produces with the session's token, under the name the server gives (Content-Disposition). */
export async function download(path: string, fallbackName: string): Promise<void> {
  const token = getToken();
  const res = await fetch(path, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  if (res.status === 401) {
    setToken(null);
    onUnauthorized();
  }
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

// ---------- documents and signed links ----------
export interface DocumentRow { documentId: string; kind: string; sha256: string; byteSize: number; mediaType: string; attachedBy: string; attachedAt: string; downloadPath: string }
export interface LinkInfo { linkId: string; mobilityId: string; audience: 'participant' | 'host'; purpose: 'certificate-of-attendance' | 'report-confirmation'; expiresAt: string; stage: string; awaited: boolean; plannedStartDate: string | null; plannedEndDate: string | null }

/** A file sent as the body itself (documents: the server reads its bytes, not its name). No session for a signed link's page. */
export async function sendFile<T>(path: string, file: Blob, withSession = true): Promise<T> {
  const token = withSession ? getToken() : null;
  const res = await fetch(path, { method: 'POST', headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), 'content-type': file.type || 'application/octet-stream' }, body: file });
  const text = await res.text();
  const parsed: unknown = text ? JSON.parse(text) : null;
  if (!res.ok) throw new ApiError(res.status, (parsed ?? {}) as ApiErrorBody);
  return parsed as T;
}
/** A call of the public link API (the link is the authority: no session token is sent). */
export async function linkApi<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const res = await fetch(path, { method, headers: body !== undefined ? { 'content-type': 'application/json' } : {}, body: body !== undefined ? JSON.stringify(body) : undefined });
  const text = await res.text();
  const parsed: unknown = text ? JSON.parse(text) : null;
  if (!res.ok) throw new ApiError(res.status, (parsed ?? {}) as ApiErrorBody);
  return parsed as T;
}
