/**
 * How the worker bundles its workflow code: the SDK's webpack bundle, with one change — the pure
 * modules (`domain/**`, the `zod` library and the workflow modules that only define messages and search
 * attribute keys) are evaluated once per workflow sandbox and shared by every workflow it runs, instead
 * of once per workflow.
 *
 * Why: with the SDK's reusable V8 context, each workflow evaluates the bundle's modules in a module
 * scope of its own. The domain's zod schemas, rate and lifecycle tables and zod's own modules cost
 * ~2.4 MiB of heap per workflow, held as long as the workflow is cached (measured: 2,783 KiB of
 * worker memory per open mobility, against ~300 KiB for a raw workflow).
 *
 * Why not the SDK's `preloadModules`: it shares modules too, but deep-freezes them, and zod 4
 * memoises lazily on its schema instances (bound methods on first read, derived members, the
 * memoizer's `_zod.parse` wrapper), so frozen schemas throw on first use.
 *
 * How: webpack's module-execution interceptor (`__webpack_require__.i`, the hook hot reloading
 * uses) sees every module a workflow requires. For a shared module, the first workflow to require it
 * evaluates it as usual and its module record is kept; every later workflow's module cache gets a
 * record pointing at the same exports, without evaluating anything. The other workflow modules
 * (`workflows/**`) and the SDK's stay per workflow, as before. The definition modules import the SDK's
 * define* functions, which only build plain objects; the first workflow's copy of the SDK module they
 * were evaluated with is kept alive by them, nothing more (`.dependency-cruiser.cjs` keeps them to the
 * domain, zod, the SDK and each other).
 *
 * What keeps this deterministic: the domain is pure (it imports only zod: `.dependency-cruiser.cjs`)
 * and keeps no state between calls; its module scope reads no clock or randomness. To make sure no
 * workflow can change what another one sees, the plain data a shared domain module exports (objects,
 * arrays, reachable from its exports) is frozen once evaluated; a write to it throws instead of
 * leaking into the next workflow. Zod schema instances are left as they are (zod's own memoisation
 * is deterministic), and so is zod's library code.
 */
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, type BundleOptions } from '@temporalio/worker';
import type { Chunk, Compiler, Configuration } from 'webpack';

export const workflowsPath = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));
const domainDir = fileURLToPath(new URL('../domain/', import.meta.url));

/**
 * Workflow modules that only define the workflows' messages and search attribute keys: plain objects made by the SDK's
 * pure define* functions, no workflow state. Shared and frozen like the domain.
 */
export const DEFINITION_MODULES = ['messages.ts', 'budget-messages.ts', 'incoming.messages.ts', 'search-attributes.ts'] as const;
const definitionModules: string[] = DEFINITION_MODULES.map((f) => fileURLToPath(new URL(`../workflows/${f}`, import.meta.url)));

/** Shared modules whose plain exported data is frozen: the domain and the message definitions. */
const frozenWhenShared = (resource: string) => resource.startsWith(domainDir) || definitionModules.includes(resource);
/** Modules evaluated once per sandbox and shared by its workflows: the pure domain, the message definitions and zod. */
export const isSharedModule = (resource: string) => frozenWhenShared(resource) || /[\\/]node_modules[\\/]zod[\\/]/.test(resource);

const PLUGIN = 'ShareDomainModules';

/**
 * Without stack traces in the sandbox. The SDK's promise hook (vm-shared.js, 1.24) captures and source-maps a stack
 * trace for every promise a workflow creates, and keeps it while the promise is pending: CPU on every activation and
 * memory in every open mobility (sdk-typescript#1587). With no frames to capture both stay small. Errors thrown in
 * workflow code then carry their message without frames, and the __stack_trace query answers empty; the worker's
 * ME_WORKFLOW_STACK_TRACES=1 brings them back for debugging. Nothing a workflow decides depends on it.
 */
const NO_STACK_TRACES = 'Error.stackTraceLimit = 0;';

/**
 * The interceptor, as it runs inside the sandbox. `shared` maps module id → true for zod, 'freeze'
 * for domain modules (their plain exported data is frozen once evaluated).
 */
const interceptor = (shared: Record<string, 'zod' | 'freeze'>, stackTraces: boolean) => `
${stackTraces ? '' : NO_STACK_TRACES}
var shared = ${JSON.stringify(shared)};
var records = new Map();
var isSchema = function (v) { return Object.prototype.hasOwnProperty.call(v, '_zod'); };
var freezeData = function (value, seen) {
  if (value === null || typeof value !== 'object' || seen.has(value)) return;
  seen.add(value);
  if (isSchema(value)) return;
  var proto = Object.getPrototypeOf(value);
  if (!(Array.isArray(value) || proto === Object.prototype || proto === null)) return;
  for (var key of Reflect.ownKeys(value)) {
    var d = Object.getOwnPropertyDescriptor(value, key);
    if (d && 'value' in d) freezeData(d.value, seen);
  }
  Object.freeze(value);
};
var freezeExports = function (exports) {
  var seen = new Set();
  for (var key of Reflect.ownKeys(exports)) {
    var value;
    try { value = exports[key]; } catch (e) { continue; }
    freezeData(value, seen);
  }
};
__webpack_require__.i.push(function (options) {
  var kind = shared[options.id];
  if (kind === undefined) return;
  var record = records.get(options.id);
  if (record !== undefined) {
    options.factory = function (module) { module.exports = record.exports; };
    return;
  }
  var factory = options.factory;
  options.factory = function (module, exports, require) {
    records.set(options.id, module);
    try {
      factory.call(this, module, exports, require);
    } catch (e) {
      records.delete(options.id);
      throw e;
    }
    if (kind === 'freeze') freezeExports(module.exports);
  };
});
`;

/** The webpack plugin: turns on the interceptor runtime and adds the one above, listing the shared modules' ids. */
export class ShareDomainModules {
  constructor(private readonly stackTraces = false) {}

  apply(compiler: Compiler): void {
    const stackTraces = this.stackTraces;
    const { RuntimeGlobals, RuntimeModule } = compiler.webpack;
    class SharedModulesRuntime extends RuntimeModule {
      constructor() {
        super('shared domain modules', RuntimeModule.STAGE_ATTACH);
      }
      override generate(): string {
        const chunkGraph = this.chunkGraph!;
        const shared: Record<string, 'zod' | 'freeze'> = {};
        for (const m of chunkGraph.getChunkModulesIterable(this.chunk!)) {
          const resource = (m as { resource?: string }).resource;
          if (!resource || !isSharedModule(resource)) continue;
          shared[String(chunkGraph.getModuleId(m))] = frozenWhenShared(resource) ? 'freeze' : 'zod';
        }
        return interceptor(shared, stackTraces);
      }
    }
    compiler.hooks.thisCompilation.tap(PLUGIN, (compilation) => {
      compilation.hooks.additionalTreeRuntimeRequirements.tap(PLUGIN, (chunk: Chunk, set: Set<string>) => {
        set.add(RuntimeGlobals.interceptModuleExecution);
        compilation.addRuntimeModule(chunk, new SharedModulesRuntime());
      });
    });
  }
}

/** The bundler options every bundle of the engine's workflows uses (the worker, tests, replay); stack traces as above. */
export const bundlerOptions = (opts: { stackTraces?: boolean } = {}) => ({
  webpackConfigHook: (config: Configuration): Configuration => ({ ...config, plugins: [...(config.plugins ?? []), new ShareDomainModules(opts.stackTraces)] }),
}) satisfies Pick<BundleOptions, 'webpackConfigHook'>;

/** The engine's workflow bundle (tests bundle once per file and hand it to every worker). */
export const bundleWorkflows = (logger?: BundleOptions['logger'], opts: { stackTraces?: boolean } = {}) =>
  bundleWorkflowCode({ workflowsPath, ...bundlerOptions(opts), ...(logger ? { logger } : {}) });
