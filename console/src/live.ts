import { useEffect, useRef, useState } from 'preact/hooks';
import { getToken, type LiveStatus } from './api';

/**
 * The live feed: GET /api/console/live read as server-sent events through fetch (so the session
 * token travels in the Authorization header, never in a URL). `change` events say a projection,
 * an application or a reminder moved; pages refetch what they show. Reconnects with back-off.
 */
type ChangeListener = (topics: string[]) => void;
type StatusListener = (s: LiveStatus | null, online: boolean) => void;

const changeListeners = new Set<ChangeListener>();
const statusListeners = new Set<StatusListener>();
let status: LiveStatus | null = null;
let online = true;
let controller: AbortController | null = null;

const emitStatus = () => {
  for (const l of statusListeners) l(status, online);
};

function parseBlock(block: string) {
  let event = 'message';
  let data = '';
  for (const line of block.split('\n')) {
    if (line.startsWith('event:')) event = line.slice(6).trim();
    else if (line.startsWith('data:')) data += line.slice(5).trim();
  }
  if (!data) return;
  const value = JSON.parse(data) as unknown;
  if (event === 'change') {
    const topics = (value as { topics?: string[] }).topics ?? [];
    if (topics.length) for (const l of changeListeners) l(topics);
  } else if (event === 'status') {
    status = value as LiveStatus;
    emitStatus();
  }
}

async function run(signal: AbortSignal) {
  let delay = 500;
  while (!signal.aborted) {
    const token = getToken();
    if (!token) return;
    try {
      const res = await fetch('/api/console/live', { headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' }, signal });
      if (res.status === 401) return;
      if (!res.ok || !res.body) throw new Error(`live: HTTP ${res.status}`);
      online = true;
      emitStatus();
      delay = 500;
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let i: number;
        while ((i = buffer.indexOf('\n\n')) >= 0) {
          parseBlock(buffer.slice(0, i));
          buffer = buffer.slice(i + 2);
        }
      }
    } catch {
      if (signal.aborted) return;
    }
    online = false;
    emitStatus();
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 10_000);
  }
}

export function startLive(): void {
  stopLive();
  controller = new AbortController();
  void run(controller.signal);
}
export function stopLive(): void {
  controller?.abort();
  controller = null;
  status = null;
  online = true;
}

/** Calls `refresh` whenever the server says something changed (at most every 300 ms). */
export function useLiveRefresh(refresh: () => void): void {
  const latest = useRef(refresh);
  latest.current = refresh;
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | null = null;
    const l: ChangeListener = () => {
      if (timer) return;
      timer = setTimeout(() => {
        timer = null;
        latest.current();
      }, 300);
    };
    changeListeners.add(l);
    return () => {
      changeListeners.delete(l);
      if (timer) clearTimeout(timer);
    };
  }, []);
}

export function useLiveStatus(): { status: LiveStatus | null; online: boolean } {
  const [s, set] = useState({ status, online });
  useEffect(() => {
    const l: StatusListener = (st, on) => set({ status: st, online: on });
    statusListeners.add(l);
    return () => void statusListeners.delete(l);
  }, []);
  return s;
}
