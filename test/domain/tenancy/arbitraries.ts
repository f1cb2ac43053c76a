import fc from 'fast-check';
import type { ConsortiumFunction, DirectoryData } from '../../../domain/tenancy';

/** Random but valid directories: networks, institutions, sites, consortia with one coordinating member. */
const FUNCTIONS: ConsortiumFunction[] = ['coordination-finance', 'administrative-management', 'quality-control'];

export const arbDirectory: fc.Arbitrary<DirectoryData> = fc
  .record({
    nets: fc.integer({ min: 1, max: 3 }),
    instNet: fc.array(fc.nat(), { minLength: 1, maxLength: 8 }),
    siteInst: fc.array(fc.nat(), { maxLength: 8 }),
    consortia: fc.array(
      fc.record({ net: fc.nat(), members: fc.uniqueArray(fc.nat(), { minLength: 1, maxLength: 5 }), coordinator: fc.nat(), extra: fc.array(fc.subarray(FUNCTIONS.slice(1)), { maxLength: 5 }) }),
      { maxLength: 4 },
    ),
  })
  .map(({ nets, instNet, siteInst, consortia }) => {
    const networks = Array.from({ length: nets }, (_, i) => ({ id: `N${i}`, name: 'n' }));
    const institutions = instNet.map((n, i) => ({ id: `I${i}`, networkId: `N${n % nets}`, name: 'i' }));
    const sites = siteInst.map((n, i) => ({ id: `S${i}`, institutionId: `I${n % institutions.length}`, name: 's' }));
    const built = consortia.flatMap((c, ci) => {
      const networkId = `N${c.net % nets}`;
      const pool = institutions.filter((i) => i.networkId === networkId);
      if (pool.length === 0) return [];
      const memberIds = [...new Set(c.members.map((m) => pool[m % pool.length]!.id))];
      const coordinator = c.coordinator % memberIds.length;
      const members = memberIds.map((institutionId, k) => ({
        institutionId,
        functions: [...(k === coordinator ? ['coordination-finance' as const] : []), ...(c.extra[k] ?? [])],
      }));
      return [{ id: `C${ci}`, networkId, name: 'c', members }];
    });
    return { networks, institutions, sites, consortia: built };
  });

