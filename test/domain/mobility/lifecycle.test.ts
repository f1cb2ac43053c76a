import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ACTION_COMMAND, ACTION_INPUTS, ACTION_NAMES, type Allowed, EMITTED_BY, ENTERS, LIFECYCLE, type MobilityCommand, MobilityCommand as CommandSchema,
  type MobilityState, OPEN_STAGES, STAGES, actionsIn, allows, decide, evolve, foldEvents, initialState, isRejection, stageAfter, stagesBefore,
} from '../../../domain/mobility';
import { cmd, history, path } from './fixtures';
import { Session, sessionArb } from './generators';

/** The table entry a command falls under: `Command` or `Command.variant` where the table narrows it. */
const entryOf = (c: MobilityCommand): string =>
  c.type === 'RecordOlsAssessment' ? `${c.type}.${c.phase}` : c.type === 'RecordPaymentOrdered' ? `${c.type}.${c.kind}` : c.type;

/** The decider refuses by stage with these codes; every other refusal is about the command's content. */
const STAGE_REFUSALS = new Set(['wrong-stage', 'cancel-after-departure', 'balance-before-attendance']);

describe('the lifecycle table is the decider\'s stage rule', () => {
  it('for random sessions, a command is refused for its stage exactly when the table does not allow it there', () => {
    const seen = new Map<string, Set<string>>(); // stage → entries the decider accepted there
    fc.assert(fc.property(sessionArb, (steps) => {
      const session = new Session();
      let state: MobilityState = initialState;
      for (const step of steps) {
        const command = session.next(step, state);
        const entry = entryOf(command);
        const result = decide(command, state);
        const byTable = allows(state.stage, entry as Allowed);
        const refusedForStage = isRejection(result) && STAGE_REFUSALS.has(result.code);
        if (byTable === refusedForStage) throw new Error(`stage '${state.stage}', ${entry}: table says ${byTable}, decider ${isRejection(result) ? `${result.code}: ${result.reason}` : 'accepts'}`);
        if (isRejection(result)) continue;
        if (!seen.has(state.stage)) seen.set(state.stage, new Set());
        seen.get(state.stage)!.add(entry);
        for (const e of result) {
          expect(stagesBefore(e.type)).toContain(state.stage);
          const next = evolve(state, e);
          expect(next.stage).toBe(stageAfter(e.type, state.stage, e.payload));
          state = next;
        }
      }
    }), { numRuns: 600, seed: 20261127 });
    // Rare in random sessions: a recovery after a cancellation of a pre-financed mobility.
    const cancelled = foldEvents(history([...path.agreed(), cmd('RecordPaymentOrdered', '2025-07-02', { kind: 'prefinancing', amountCents: 1000, paymentId: 'PRE-1' }), cmd('CancelMobility', '2025-08-01', { reasonCode: 'participant-withdrew' })]));
    expect(isRejection(decide(cmd('RecordPaymentOrdered', '2025-08-02', { kind: 'recovery', amountCents: 1000, paymentId: 'REC-1' }), cancelled))).toBe(false);
    seen.set('cancelled', new Set([...(seen.get('cancelled') ?? []), 'RecordPaymentOrdered.recovery']));
    // Every staff action of the table was accepted in some state of its stage (so the API offers nothing the decider always refuses).
    const staff = new Set<string>(Object.values(ACTION_COMMAND));
    for (const stage of STAGES) {
      const expected = (LIFECYCLE[stage].allows as readonly string[]).filter((a) => staff.has(a.split('.')[0]!));
      const missing = expected.filter((a) => !seen.get(stage)?.has(a));
      expect({ stage, missing }).toEqual({ stage, missing: [] });
    }
  });

  it('every event names the commands that emit it, and each stage-changing event enters a stage of the table', () => {
    const emitted = new Set(Object.keys(EMITTED_BY));
    const events = CommandSchema.options.length; // sanity: the command union is not empty
    expect(events).toBeGreaterThan(20);
    for (const [event, stage] of Object.entries(ENTERS)) {
      expect(emitted.has(event)).toBe(true);
      expect(STAGES).toContain(stage);
    }
  });
});

describe('the API offers, per stage, exactly what the table allows', () => {
  it('each action is its command\'s input, narrowed (no field the command lacks)', () => {
    for (const name of ACTION_NAMES) {
      const command = CommandSchema.options.find((o) => o.shape.type.value === ACTION_COMMAND[name])!;
      expect(Object.keys(ACTION_INPUTS[name].shape).filter((k) => !(k in command.shape))).toEqual([]);
      expect(ACTION_INPUTS[name].shape).not.toHaveProperty('type');
      expect(ACTION_INPUTS[name].shape).not.toHaveProperty('at');
      for (const euro of ['estimatedGrant', 'revisedGrant', 'finalGrant', 'amountCents']) expect(ACTION_INPUTS[name].shape).not.toHaveProperty(euro);
    }
  });

  it('given a stage, the actions are those whose command the stage allows (the drift the console showed is gone)', () => {
    expect(actionsIn('applied')).toEqual(['select', 'reject', 'withdraw', 'cancel', 'recordGrantConditions', 'attachDocument']);
    expect(actionsIn('applied')).not.toContain('recordOlsAssessment');
    expect(actionsIn('agreed')).not.toContain('requestExtension');
    expect(actionsIn('attended')).toContain('declareForceMajeure');
    expect(actionsIn('recognised')).toEqual(['recordOlsAssessment', 'attachDocument']);
    for (const stage of ['rejected', 'withdrawn', 'cancelled', 'none'] as const) expect(actionsIn(stage)).toEqual([]);
  });
});

describe('stage names outside the table', () => {
  const root = join(__dirname, '..', '..', '..');
  const sql = readdirSync(join(root, 'infra', 'migrations')).filter((f) => f.endsWith('.sql')).map((f) => readFileSync(join(root, 'infra', 'migrations', f), 'utf8')).join('\n');

  it("the quality projection's stage order in SQL is the table's", () => {
    const rows = [...sql.matchAll(/\((\d+), '([a-z-]+)'\)/g)].map((m) => [Number(m[1]), m[2]]);
    const inSql = new Map(rows.filter(([, s]) => (OPEN_STAGES as readonly string[]).includes(s as string)).map(([n, s]) => [s as string, n as number]));
    for (const stage of OPEN_STAGES) expect({ stage, rank: inSql.get(stage) }).toEqual({ stage, rank: LIFECYCLE[stage].order });
  });

  it('every quoted stage-like word in SQL is a stage of the table', () => {
    const words = new Set([...sql.matchAll(/'(applied|reserve-list|selected|agreed|departed|attended|reported|recognised|rejected|withdrawn|cancelled|[a-z]+-list)'/g)].map((m) => m[1]!));
    for (const w of words) expect(STAGES).toContain(w);
  });
});
