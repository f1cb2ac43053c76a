import type { RateOverrides, RateTable } from './types';

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Deep-merges an override onto a table: objects merge key by key, arrays and scalars replace. */
export const withOverrides = (table: RateTable, overrides: RateOverrides | undefined): RateTable => {
  const merge = (base: unknown, patch: unknown): unknown => {
    if (patch === undefined) return base;
    if (!isPlainObject(base) || !isPlainObject(patch)) return patch;
    const out: Record<string, unknown> = { ...base };
    for (const [k, v] of Object.entries(patch)) out[k] = merge(base[k], v);
    return out;
  };
  return merge(table, overrides) as RateTable;
};
