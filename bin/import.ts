import { readFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../infra/config';

/**
 * npm run import -- --project <projectId> FILE.xlsx|FILE.csv
 *
 * Imports applications (and mobilities under way, by their `stage` column) through the HTTP API, as a staff
 * member: signs in (--user, password from ME_IMPORT_PASSWORD or --password), uploads the file, draws a
 * progress bar from GET /api/imports/:id, then prints the report of each refused row (row, column, reason).
 * Exit status: 0 when every row started or was already imported, 1 when rows were refused, 2 for bad
 * arguments or a refused file (the API's reason, naming the column), 3 when the API cannot be reached.
 */
const USAGE = 'usage: npm run import -- --project <projectId> [--api http://127.0.0.1:3000] [--user lyon] [--password …] FILE.xlsx|FILE.csv';

export async function runImportCli(argv: string[], out: (s: string) => void = (s) => process.stdout.write(s), err: (s: string) => void = (s) => process.stderr.write(s)): Promise<number> {
  let args;
  try {
    args = parseArgs({ args: argv, allowPositionals: true, options: { project: { type: 'string' }, api: { type: 'string' }, user: { type: 'string' }, password: { type: 'string' }, interval: { type: 'string' } } });
  } catch (e) {
    err(`${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const { project, user = process.env.ME_IMPORT_USER ?? 'lyon' } = args.values;
  const file = args.positionals[0];
  if (!project || !file) {
    err(`${!project ? '--project' : 'FILE'}: required\n${USAGE}\n`);
    return 2;
  }
  const password = args.values.password ?? process.env.ME_IMPORT_PASSWORD ?? `demo-${user}`;
  const api = (args.values.api ?? process.env.ME_API_URL ?? loadConfig().console.url).replace(/\/$/, '');
  const ext = extname(file).toLowerCase();
  const type = ext === '.xlsx' ? 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' : ext === '.csv' ? 'text/csv' : null;
  if (!type) {
    err(`FILE: ${file} is neither .xlsx nor .csv\n`);
    return 2;
  }
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    err(`FILE: ${(e as Error).message}\n`);
    return 2;
  }
  const call = async (method: string, path: string, init: { token?: string; body?: BodyInit; type?: string } = {}) => {
    const res = await fetch(api + path, { method, headers: { ...(init.token ? { authorization: `Bearer ${init.token}` } : {}), ...(init.type ? { 'content-type': init.type } : {}) }, body: init.body });
    return { status: res.status, body: (await res.json().catch(() => null)) as any };
  };
  try {
    const login = await call('POST', '/api/login', { body: JSON.stringify({ username: user, password }), type: 'application/json' });
    if (login.status !== 200) {
      err(`sign-in as ${user}: ${login.body?.message ?? login.status}\n`);
      return 2;
    }
    const token = login.body.token as string;
    const post = await call('POST', `/api/projects/${encodeURIComponent(project)}/imports?fileName=${encodeURIComponent(basename(file))}`, { token, body: bytes as unknown as BodyInit, type });
    if (post.status !== 202) {
      err(`import refused (${post.status}): ${post.body?.message ?? ''}\n`);
      for (const i of post.body?.issues ?? []) err(`  ${i.field}: ${i.message}\n`);
      return 2;
    }
    const id = post.body.importId as string;
    const tty = Boolean(process.stdout.isTTY);
    const bar = (done: number, total: number) => {
      const width = 30;
      const filled = total === 0 ? width : Math.round((done / total) * width);
      return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${total} rows`;
    };
    let job: any;
    let lastTenth = -1;
    for (;;) {
      job = (await call('GET', `/api/imports/${id}`, { token })).body;
      const line = `import ${id}: ${bar(job.done, job.total)}`;
      if (tty) out(`\r${line}`);
      else if (Math.floor((job.done / Math.max(1, job.total)) * 10) !== lastTenth) {
        lastTenth = Math.floor((job.done / Math.max(1, job.total)) * 10);
        out(`${line}\n`);
      }
      if (job.status !== 'running') break;
      await new Promise((r) => setTimeout(r, Number(args.values.interval ?? 300)));
    }
    if (tty) out('\n');
    if (job.status === 'failed') {
      err(`import ${id} failed: ${job.error}\n`);
      return 3;
    }
    out(`${job.started} started (${job.takenOver} taken over at their stage), ${job.duplicates} already imported, ${job.refused} refused\n`);
    for (const r of job.rows.filter((x: any) => x.status === 'refused')) {
      for (const i of r.issues) out(`row ${r.row}${r.applicationRef ? ` (${r.applicationRef})` : ''}: ${i.column}: ${i.reason}\n`);
    }
    return job.refused > 0 ? 1 : 0;
  } catch (e) {
    err(`cannot reach the API at ${api}: ${(e as Error).message}\n`);
    return 3;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  runImportCli(process.argv.slice(2)).then((code) => process.exit(code));
}
