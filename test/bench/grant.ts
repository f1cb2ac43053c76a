/**
 * Grant calculations per second (domain/grant, in process), over varied valid inputs, against the
 * zod validation of the same inputs alone (what every calculation pays before any arithmetic).
 */
import { computeMobilityGrant, GrantInput } from '../../domain/grant';
import { figure, type Figure, say } from './lib';
import { rng } from '../integration/projections/stream';

const COUNTRIES = ['FR', 'DE', 'ES', 'IT', 'PL', 'SE', 'NL', 'PT', 'CZ', 'RO'];

export function inputs(n: number, seed = 7): GrantInput[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => {
    const sending = r.pick(COUNTRIES);
    let receiving = r.pick(COUNTRIES);
    while (receiving === sending) receiving = r.pick(COUNTRIES);
    const start = Date.UTC(2024, r.int(0, 11), r.int(1, 28));
    const days = r.int(75, 330);
    const iso = (ms: number) => new Date(ms).toISOString().slice(0, 10);
    return {
      callYear: 2024, activity: 'HE-SMS', sendingCountry: sending, receivingCountry: receiving,
      startDate: iso(start), endDate: iso(start + (days - 1) * 86_400_000),
      distanceKm: r.int(100, 3_500), greenTravel: r.chance(0.3), fewerOpportunities: r.chance(0.2),
      rates: { monthlyEur: r.pick([540, 600, 650, 700]) },
    } as GrantInput;
  });
}

export async function grantBench(n: number, repeat: number): Promise<Figure[]> {
  const xs = inputs(n);
  // Warm-up: the JIT and zod's compiled checks.
  for (const x of xs.slice(0, 2_000)) computeMobilityGrant(x);
  const rate = (f: (x: GrantInput) => unknown) => {
    const t0 = performance.now();
    for (const x of xs) f(x);
    return n / ((performance.now() - t0) / 1000);
  };
  const engine: number[] = [];
  const parse: number[] = [];
  for (let i = 0; i < repeat; i++) {
    engine.push(rate((x) => computeMobilityGrant(x)));
    parse.push(rate((x) => GrantInput.parse(x)));
  }
  say(`  grant: ${engine.map((v) => v.toFixed(0)).join(' / ')} calculations/s; GrantInput.parse alone ${parse.map((v) => v.toFixed(0)).join(' / ')}/s`);
  return [figure({
    id: 'grant', figure: `grant calculations per second (${n.toLocaleString('en')} varied HE-SMS inputs, in process)`, unit: 'calculations/s',
    engineRuns: engine, baselineName: 'zod validation of the same inputs alone (GrantInput.parse)', baselineRuns: parse, higherIsBetter: true,
    note: 'here the ratio is the share of a calculation\'s time spent validating its input (1 would mean the arithmetic costs nothing)',
  })];
}
