/**
 * Import directions, checked by `npm run lint:imports` and by `npm test` before vitest.
 * Dependencies point inwards: bin → workers → activities / workflows → domain, with infra as a
 * toolbox beside them. A rule names the layers a folder must not reach; every rule is an error.
 * Paths are relative to the repository root (dependency-cruiser resolves each import first, so
 * `../workflows/x` and `zod` are matched as `workflows/x.ts` and `node_modules/zod/…`).
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'domain-imports-only-zod',
      comment: 'domain/ is pure rules: it imports other domain/ files and zod, nothing else (no node: modules, Temporal, kafkajs, pg, nor any other layer).',
      severity: 'error',
      from: { path: '^domain/' },
      // (an import that does not resolve is reported once, by no-unresolvable-imports)
      to: { pathNot: ['^domain/', '(^|/)node_modules/zod/'], couldNotResolve: false },
    },
    {
      name: 'workflows-not-to-io',
      comment: 'workflows/ orchestrates deterministically: nothing from infra/, workers/, bin/ or test/.',
      severity: 'error',
      from: { path: '^workflows/' },
      to: { path: '^(infra|workers|bin)/' },
    },
    {
      name: 'workflows-activities-by-type-only',
      comment: 'workflows/ reaches activities/ through proxyActivities only: `import type` of an activity factory, never its code.',
      severity: 'error',
      from: { path: '^workflows/' },
      to: { path: '^activities/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'shared-workflow-definitions-stay-pure',
      comment: 'workflows/messages.ts, budget-messages.ts, incoming.messages.ts and search-attributes.ts are evaluated once per workflow sandbox and shared by every workflow in it (workers/workflow-bundle.ts): they may import only the domain, zod, the SDK\'s define* functions and each other, never a module with workflow state.',
      severity: 'error',
      from: { path: '^workflows/(messages|budget-messages|incoming[.]messages|search-attributes)[.]ts$' },
      to: {
        pathNot: ['^domain/', '(^|/)node_modules/zod/', '(^|/)node_modules/@temporalio/(workflow|common)/', '^workflows/(messages|budget-messages|incoming[.]messages|search-attributes)[.]ts$'],
        dependencyTypesNot: ['type-only'],
        couldNotResolve: false,
      },
    },
    {
      name: 'activities-not-upwards',
      comment: 'activities/ do I/O for workflows; they do not know workflows/, workers/ or bin/ (the worker injects what they need).',
      severity: 'error',
      from: { path: '^activities/' },
      to: { path: '^(workflows|workers|bin)/' },
    },
    {
      name: 'infra-not-upwards',
      comment: 'infra/ is the stack, configuration and clients; it imports no application layer (start.ts launches processes by path, which is not an import).',
      severity: 'error',
      from: { path: '^infra/' },
      to: { path: '^(workflows|activities|workers|bin)/' },
    },
    {
      name: 'workers-not-to-bin',
      comment: 'workers/ wire processes; command-line entry points in bin/ sit above them.',
      severity: 'error',
      from: { path: '^workers/' },
      to: { path: '^bin/' },
    },
    {
      name: 'console-knows-only-the-api',
      comment: 'console/src/ runs in the browser and knows the server only through its HTTP API (and the OpenAPI document): its own files and npm packages, never a server layer, so no domain fact is ever computed in the browser.',
      severity: 'error',
      from: { path: '^console/src/' },
      to: { path: '^(domain|workflows|activities|workers|infra|bin|test)/' },
    },
    {
      name: 'only-tests-import-tests',
      comment: 'test/ holds tests, fixtures and their helpers; product code never imports them.',
      severity: 'error',
      from: { pathNot: '^test/' },
      to: { path: '^test/' },
    },
    {
      name: 'no-unresolvable-imports',
      comment: 'An import the linter cannot resolve escapes every rule above, so it fails the check too.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: '(^|/)node_modules/' },
    // Read TypeScript before compilation, so `import type` lines are seen (and recognised as type-only).
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
