import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/** The console's files as the API serves them. */
export interface ConsoleAssets {
  html: string;
  js: string;
  css: string;
}

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

/**
 * Bundles the console (console/src, Preact + TSX) with esbuild, in memory: the API runs this once
 * when it starts, so `npm start` and `npm test` always serve the console of the checked-out
 * sources, with no build step to forget. Every library comes from node_modules (no CDN).
 */
export async function buildConsole(opts: { minify?: boolean } = {}): Promise<ConsoleAssets> {
  const out = await build({
    entryPoints: [here('./src/main.tsx')],
    bundle: true,
    write: false,
    outdir: '/console-out',
    format: 'esm',
    target: ['es2022', 'chrome110', 'firefox110', 'safari16'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    minify: opts.minify ?? true,
    legalComments: 'none',
    logLevel: 'silent',
  });
  const file = (ext: string) => out.outputFiles.find((f) => f.path.endsWith(ext))?.text ?? '';
  return { html: readFileSync(here('./index.html'), 'utf8'), js: file('.js'), css: file('.css') };
}
