import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

/**
 * Debian's Chromium for the browser tests (Playwright cannot download its own builds here):
 * ME_CHROMIUM if set, else `chromium` on the PATH; when missing, installed with apt-get as the
 * stack installs PostgreSQL (as root, e.g. on CI). If it cannot be found or installed, this throws:
 * the browser tests fail, they are never skipped.
 */
export function chromiumPath(log: (l: string) => void = () => undefined): string {
  const candidates = [process.env.ME_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter((c): c is string => Boolean(c));
  const found = () => candidates.find((c) => existsSync(c));
  if (found()) return found()!;
  const root = process.getuid?.() === 0;
  const apt = spawnSync('sh', ['-c', 'command -v apt-get'], { encoding: 'utf8' }).status === 0;
  if (!root || !apt) throw new Error('chromium is not installed and cannot be installed here: install Debian\'s chromium (sudo apt-get install -y chromium) or set ME_CHROMIUM');
  log('chromium: installing Debian chromium for the browser tests (first run only)…');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const update = spawnSync('apt-get', ['update', '-q'], { encoding: 'utf8', env, timeout: 5 * 60_000 });
  const install = spawnSync('apt-get', ['install', '-y', '-q', 'chromium'], { encoding: 'utf8', env, timeout: 15 * 60_000 });
  if (install.status !== 0 || !found()) {
    throw new Error(`apt-get install chromium failed:\n${(update.stdout + update.stderr).slice(-500)}${(install.stdout + install.stderr).slice(-1500)}`);
  }
  return found()!;
}

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath((l) => console.log(l)),
    // Root (CI) needs --no-sandbox; the rest keeps a 2-core machine calm.
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu', '--no-first-run', '--disable-extensions'],
  });
}
