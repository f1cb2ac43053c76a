/**
 * `npm run bench`: runs every benchmark module in test/bench/ (each exports `bench(cfg)`) on a
 * fresh stack of its own (own ports, fresh data directory: the Temporal dev server slows as its
 * database grows, so runs are only comparable from a fresh start), and reports each figure as a
 * ratio against a baseline measured in the same run. Results also go to .data/bench/results.json.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadConfig, ROOT } from '../../infra/config';
import { stackDown, stackUp } from '../../infra/stack';

export interface BenchResult {
  name: string;
  unit: string;
  perSecond: number;
  /** Name of the result (from the same module) this one is compared with. */
  baseline?: string;
}

const dataDir = join(ROOT, '.data', 'bench');
rmSync(dataDir, { recursive: true, force: true });
process.env.ME_PROFILE = 'test';
process.env.ME_PORT_OFFSET ??= '50';
process.env.ME_DATA_DIR = dataDir;
const cfg = loadConfig();

const only = process.argv.slice(2);
const modules = readdirSync(join(ROOT, 'test', 'bench'))
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts')
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)));

const { started } = await stackUp(cfg, (l) => console.log(`[stack] ${l}`));
const all: (BenchResult & { module: string; ratio: number | null })[] = [];
try {
  for (const file of modules) {
    console.log(`\n== ${file}`);
    const mod = (await import(pathToFileURL(join(ROOT, 'test', 'bench', file)).href)) as { bench: (c: typeof cfg) => Promise<BenchResult[]> };
    const results = await mod.bench(cfg);
    for (const r of results) {
      const base = r.baseline ? results.find((b) => b.name === r.baseline) : undefined;
      const ratio = base ? r.perSecond / base.perSecond : null;
      all.push({ ...r, module: file, ratio });
      console.log(`${r.name.padEnd(58)} ${r.perSecond.toFixed(1).padStart(10)} ${r.unit}/s${ratio !== null ? `   ×${ratio.toFixed(3)} of ${r.baseline}` : '   (baseline)'}`);
    }
  }
} finally {
  await stackDown(cfg, started, () => undefined);
}
mkdirSync(dataDir, { recursive: true });
writeFileSync(join(dataDir, 'results.json'), JSON.stringify({ at: new Date().toISOString(), results: all }, null, 2));
console.log(`\nresults: ${join(dataDir, 'results.json')}`);
process.exit(0);
