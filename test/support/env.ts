import { loadConfig } from '../../infra/config';

/** Configuration of the stack the suite runs against (the `test` profile unless told otherwise). */
export const testConfig = () => loadConfig({ ...process.env, ME_PROFILE: process.env.ME_PROFILE ?? 'test' });

/** A unique suffix so each test works on its own mobilities, projects and consumer groups. */
export const uniq = (): string => `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`.toUpperCase();

export async function eventually<T>(probe: () => Promise<T | undefined | null | false>, timeoutMs = 20_000, what = 'condition'): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < until) {
    try {
      const v = await probe();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}
