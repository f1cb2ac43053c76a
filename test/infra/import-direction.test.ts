import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../infra/config';
import { describeImportLint, lintImports, RULES_FILE } from '../../infra/cli/lint-imports';
import { DEFINITION_MODULES } from '../../workers/workflow-bundle';

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

  it('keeps the workflow modules the bundle shares per sandbox (workers/workflow-bundle.ts) to pure imports: the rule covers exactly those', async () => {
    const { createRequire } = await import('node:module');
    const rules = createRequire(import.meta.url)(RULES_FILE) as { forbidden: { name: string; from: { path: string } }[] };
    const rule = rules.forbidden.find((r) => r.name === 'shared-workflow-definitions-stay-pure')!;
    const covered = ['messages', 'budget-messages', 'incoming.messages', 'search-attributes', 'mobility.workflow', 'budget.workflow', 'mobility.effects', 'client']
      .map((m) => `workflows/${m}.ts`).filter((p) => new RegExp(rule.from.path).test(p));
    expect(covered).toEqual(DEFINITION_MODULES.map((m) => `workflows/${m}`));
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
