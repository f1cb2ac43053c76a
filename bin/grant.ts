/**
 * Grant calculator CLI (stable contract):
 *   npm run -s grant -- FILE            one mobility's JSON (FILE "-" = stdin) → its breakdown JSON
 *   npm run -s grant -- --project FILE  { callYear, action, participants, bipParticipants?, inclusionSupportParticipants? }
 *                                        → organisational + inclusion support for organisations
 * Output on stdout: { totalCents, currency: "EUR", callYear, days, lines: [{ ruleId, item, amountCents, basis }] }.
 * Bad input (invalid JSON, missing/invalid field, duration out of limits): exit status 2, a message naming
 * the field on stderr, nothing on stdout.
 */
import { readFileSync } from 'node:fs';
import { z, ZodError } from 'zod';
import { computeMobilityGrant, describeIssues, GrantInput, GrantRuleError } from '../domain/grant';
import { projectGrant } from '../domain/project';

const USAGE = 'usage: grant FILE | grant - | grant --project FILE   (reads JSON; see domain/grant/README.md)';

class BadInput extends Error {}

const readJson = (file: string): unknown => {
  let text: string;
  try {
    text = readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (e) {
    throw new BadInput(`${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new BadInput(`(input): invalid JSON: ${(e as Error).message}`);
  }
};

/** `--help`: the usage and the fields of a mobility's input, read from the domain's schema (one truth). */
const help = (): string => {
  const schema = z.toJSONSchema(GrantInput, { io: 'input', unrepresentable: 'any' }) as { properties?: Record<string, { type?: unknown; enum?: unknown[]; description?: string }>; required?: string[] };
  const required = new Set(schema.required ?? []);
  const fields = Object.entries(schema.properties ?? {}).map(([name, p]) => {
    const type = p.enum ? p.enum.map(String).join('|') : Array.isArray(p.type) ? p.type.join('|') : String(p.type ?? 'object');
    return `  ${name}${required.has(name) ? '' : '?'}: ${type.length > 60 ? `${type.slice(0, 57)}...` : type}${p.description ? `  (${p.description})` : ''}`;
  });
  return [USAGE, '', 'A mobility (JSON object; exit 2 naming the field when one is missing or invalid):', ...fields, '',
    'A project (--project): { callYear, action, participants, bipParticipants?, inclusionSupportParticipants? }', ''].join('\n');
};

const run = (args: readonly string[]): unknown => {
  if (args.length === 2 && args[0] === '--project') return projectGrant(readJson(args[1]!) as never);
  if (args.length === 1 && !args[0]!.startsWith('--')) return computeMobilityGrant(readJson(args[0]!) as never);
  throw new BadInput(USAGE);
};

const argv = process.argv.slice(2);
if (argv.length === 1 && (argv[0] === '--help' || argv[0] === '-h')) {
  process.stdout.write(help());
  process.exit(0);
}
try {
  process.stdout.write(`${JSON.stringify(run(argv), null, 2)}\n`);
} catch (e) {
  if (e instanceof ZodError) process.stderr.write(`invalid input:\n${describeIssues(e)}\n`);
  else if (e instanceof GrantRuleError || e instanceof BadInput) process.stderr.write(`${e.message}\n`);
  else if (e instanceof RangeError) process.stderr.write(`(input): ${e.message}\n`);
  else throw e;
  process.exitCode = 2;
}
