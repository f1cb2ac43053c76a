/**
 * `npm run lint:imports`, also run by `npm test` right after the typecheck: checks that every
 * import points the way .dependency-cruiser.cjs allows (domain/ imports only zod, workflows/ see
 * activities/ by type only, nothing imports bin/ or test/ from below, …) with dependency-cruiser,
 * prints each forbidden import with the rule it breaks and why, and exits 1 when there is one.
 * Usage: tsx infra/cli/lint-imports.ts [tree] (the repository by default).
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cruise, type ICruiseResult } from 'dependency-cruiser';
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options';
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config';
import { ROOT } from '../config';

export const RULES_FILE = join(ROOT, '.dependency-cruiser.cjs');
/** The top-level folders whose imports are checked. */
export const LAYERS = ['domain', 'workflows', 'activities', 'workers', 'infra', 'bin', 'test', 'console'] as const;

export interface ImportViolation {
  rule: string;
  /** Paths relative to the checked tree's root. */
  from: string;
  to: string;
  /** Why the rule exists (its comment in the rules file). */
  why: string;
}

export interface ImportLint {
  violations: ImportViolation[];
  modules: number;
}

/** Checks the tree under `root` (the repository by default; tests pass a fixture tree). */
export async function lintImports(root: string = ROOT): Promise<ImportLint> {
  const { tsConfig: _fromRulesFile, ...options } = await extractDepcruiseOptions(RULES_FILE);
  // The tree's own tsconfig.json (a fixture tree may have none): read before compilation, so
  // `import type` lines are seen and known as type-only.
  const tsconfigFile = join(root, 'tsconfig.json');
  const tsConfig = existsSync(tsconfigFile) ? { fileName: tsconfigFile } : undefined;
  const { output } = await cruise(
    LAYERS.filter((l) => existsSync(join(root, l))),
    { ...options, baseDir: root, outputType: 'json', ...(tsConfig ? { tsConfig } : {}) },
    undefined,
    tsConfig ? { tsConfig: extractTSConfig(tsConfig.fileName) } : undefined,
  );
  const result = (typeof output === 'string' ? JSON.parse(output) : output) as ICruiseResult;
  const why = new Map((options.ruleSet?.forbidden ?? []).map((r) => [r.name, r.comment ?? ''] as const));
  return {
    violations: result.summary.violations.map((v) => ({ rule: v.rule.name, from: v.from, to: v.to, why: why.get(v.rule.name) ?? '' })),
    modules: result.summary.totalCruised,
  };
}

/** One block per forbidden import: where, which rule, why. */
export function describeImportLint({ violations, modules }: ImportLint): string {
  if (violations.length === 0) return `import directions: ${modules} modules, every import allowed`;
  const lines = violations.map((v) => `  ${v.from} → ${v.to}\n    breaks ${v.rule}: ${v.why}`);
  return [
    `import directions: ${violations.length} forbidden import${violations.length === 1 ? '' : 's'} (rules in ${RULES_FILE.slice(ROOT.length + 1)})`,
    ...lines,
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  // An optional argument checks another tree laid out like this one (the tests' fixture).
  const lint = await lintImports(process.argv[2] ? resolve(process.argv[2]) : ROOT);
  const text = describeImportLint(lint);
  if (lint.violations.length > 0) {
    console.error(text);
    process.exit(1);
  }
  console.log(text);
}
