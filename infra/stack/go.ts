import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config';
import { which } from './proc';

/** The Go toolchain the stack builds with: on the PATH, or where the official archive installs it. */
export const goBinary = (): string | null => which('go') ?? (existsSync('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : null);

/**
 * The environment of every Go build of the stack: this machine's toolchain, modules and build cache under the
 * cache directory (shared by the builds), binaries installed into `gobin` when given.
 */
export const goEnv = (cfg: Config, gobin?: string): NodeJS.ProcessEnv => ({
  ...process.env,
  GOTOOLCHAIN: 'local',
  ...(gobin ? { GOBIN: gobin } : {}),
  GOMODCACHE: join(cfg.cacheDir, 'go', 'mod'),
  GOCACHE: join(cfg.cacheDir, 'go', 'build'),
  GOFLAGS: '-modcacherw',
});
