import { z } from 'zod';

/**
 * A group activity of one project (the Beneficiary Module's group-activity tab, reference §1.8):
 * `<project>-GRP-001`. Each member is still one mobility, linked to its group by this id.
 */
export const GroupId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9-]{2,63}-GRP-\d{3}$/, 'group id: <project>-GRP-001');
export type GroupId = z.infer<typeof GroupId>;

export const groupIdFor = (projectId: string, n: number): string => `${projectId}-GRP-${String(n).padStart(3, '0')}`;

/** A subgroup's name inside its group (where funding differs: dates, transport, fewer opportunities). */
export const SubgroupId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$/, 'subgroup id: letters, digits, dots, dashes (at most 32)');
export type SubgroupId = z.infer<typeof SubgroupId>;
