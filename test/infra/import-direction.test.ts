import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../infra/config';
import { describeImportLint, lintImports } from '../../infra/cli/lint-imports';

/**
 * The import-direction rules (.dependency-cruiser.cjs) that `npm test` checks after the
 * typecheck: they catch an upward import in a small fixture tree, let its allowed imports
 * through, and find nothing to refuse in the repository itself.
 */
const fixture = join(ROOT, 'test', 'infra', 'fixtures', 'import-direction');

describe('import directions', () => {
  it('refuses upward imports and names the rule each one breaks', async () => {
    const lint = await lintImports(fixture);
    expect(lint.violations.map(({ rule, from, to }) => ({ rule, from, to }))).toEqual([
      { rule: 'activities-not-upwards', from: 'activities/budget.ts', to: 'workflows/messages.ts' },
      { rule: 'domain-imports-only-zod', from: 'domain/clock.ts', to: 'fs' },
      { rule: 'workflows-activities-by-type-only', from: 'workflows/flow.ts', to: 'activities/timeouts.ts' },
    ]);
    const text = describeImportLint(lint);
    expect(text).toContain('3 forbidden imports');
    expect(text).toContain('activities/budget.ts → workflows/messages.ts\n    breaks activities-not-upwards: activities/ do I/O');
  });

  it('lets domain → domain, activities → domain and a type-only workflows → activities import through', async () => {
    const lint = await lintImports(fixture);
    const allowed = (from: string, to: string) => !lint.violations.some((v) => v.from === from && v.to === to);
    expect(allowed('domain/clock.ts', 'domain/money.ts')).toBe(true);
    expect(allowed('activities/budget.ts', 'domain/money.ts')).toBe(true);
    expect(allowed('workflows/flow.ts', 'activities/budget.ts')).toBe(true);
  });

  it('finds every import of the repository in its allowed direction', async () => {
    const lint = await lintImports();
    expect(describeImportLint(lint)).toMatch(/every import allowed$/);
    expect(lint.modules).toBeGreaterThan(100);
  });

  it('as a command, exits 1 with the forbidden imports on standard error, 0 on the repository', () => {
    const run = (...args: string[]) => spawnSync(join(ROOT, 'node_modules', '.bin', 'tsx'), [join(ROOT, 'infra', 'cli', 'lint-imports.ts'), ...args], { cwd: ROOT, encoding: 'utf8' });
    const bad = run(fixture);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('import directions: 3 forbidden imports');
    expect(bad.stderr).toContain('domain/clock.ts → fs');
    const good = run();
    expect(good.stderr).toBe('');
    expect(good.status).toBe(0);
    expect(good.stdout).toMatch(/^import directions: \d+ modules, every import allowed/);
  });
});
