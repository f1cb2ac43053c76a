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
import { ZodError } from 'zod';
import { computeMobilityGrant, describeIssues, GrantRuleError } from '../domain/grant';
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

const run = (args: readonly string[]): unknown => {
  if (args.length === 2 && args[0] === '--project') return projectGrant(readJson(args[1]!) as never);
  if (args.length === 1 && !args[0]!.startsWith('--')) return computeMobilityGrant(readJson(args[0]!) as never);
  throw new BadInput(USAGE);
};

try {
  process.stdout.write(`${JSON.stringify(run(process.argv.slice(2)), null, 2)}\n`);
} catch (e) {
  if (e instanceof ZodError) process.stderr.write(`invalid input:\n${describeIssues(e)}\n`);
  else if (e instanceof GrantRuleError || e instanceof BadInput) process.stderr.write(`${e.message}\n`);
  else if (e instanceof RangeError) process.stderr.write(`(input): ${e.message}\n`);
  else throw e;
  process.exitCode = 2;
}
