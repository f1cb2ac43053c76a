import { z } from 'zod';
import type { ConsortiumFunction, Role, ScopeKind } from './model';

/**
 * The action catalogue and who may perform each action.
 *
 * consortiumFunction: on a mobility funded by a consortium's project, the action belongs to the member
 * holding that function (users-and-processes.md 002: "Access and dashboards follow those roles";
 * 003: the coordinator pays the grants). Staff of other members (institution- or site-scoped grants)
 * may not perform it there, even on their own institution's mobilities. null = no consortium function:
 * the sending institution's own staff do it (before/during/after follow-up, 002).
 * Observers never act: they only read.
 */
export interface ActionRule {
  readonly label: string;
  readonly roles: readonly Role[];
  readonly consortiumFunction: ConsortiumFunction | null;
}

export const ACTIONS = {
  'mobility.apply': { label: 'Register an application for a participant', roles: ['institution-coordinator', 'site-coordinator'], consortiumFunction: null },
  'mobility.select': { label: 'Select or reject an applicant on the common criteria', roles: ['institution-coordinator'], consortiumFunction: null },
  'mobility.sign-agreement': { label: 'Sign the participant grant agreement for the beneficiary', roles: ['administrative-manager', 'institution-coordinator'], consortiumFunction: 'administrative-management' },
  'mobility.certify-attendance': { label: 'Record the host certificate of attendance (actual dates)', roles: ['institution-coordinator', 'site-coordinator', 'administrative-manager'], consortiumFunction: null },
  'mobility.record-report': { label: 'Record the participant report and OLS as checked', roles: ['institution-coordinator', 'site-coordinator', 'administrative-manager'], consortiumFunction: null },
  'mobility.record-recognition': { label: 'Record recognition of the learning outcomes', roles: ['institution-coordinator'], consortiumFunction: null },
  'payment.order': { label: 'Order a pre-financing or balance payment, or a recovery', roles: ['consortium-coordinator', 'institution-coordinator'], consortiumFunction: 'coordination-finance' },
  'budget.view': { label: 'See allocated versus consumed funds and mobilities', roles: ['network-director', 'consortium-coordinator', 'institution-coordinator'], consortiumFunction: null },
  'quality.view': { label: 'See the quality dashboard (reports, OLS, recognition, deadlines)', roles: ['network-director', 'consortium-coordinator', 'quality-controller', 'institution-coordinator'], consortiumFunction: null },
  'project.manage': { label: 'Manage the project: rates, budget lines, policy, members', roles: ['consortium-coordinator', 'institution-coordinator'], consortiumFunction: 'coordination-finance' },
  'export.beneficiary-module': { label: 'Export mobilities to the Beneficiary Module', roles: ['administrative-manager', 'institution-coordinator'], consortiumFunction: 'administrative-management' },
  'organisation.manage': { label: "Create and edit the organisation within one's scope: consortium members, institutions, sites, staff accounts and their roles (domain/tenancy/onboarding.ts)", roles: ['network-director', 'consortium-coordinator', 'institution-coordinator'], consortiumFunction: null },
} as const satisfies Record<string, ActionRule>;

export type Action = keyof typeof ACTIONS;
export const Action = z.enum(Object.keys(ACTIONS) as [Action, ...Action[]]);

/** Where each role may be granted. Observers may be granted at any level, read only. */
export const ROLE_SCOPES: Readonly<Record<Role, readonly ScopeKind[]>> = {
  'network-director': ['network'],
  'consortium-coordinator': ['consortium'],
  'administrative-manager': ['consortium'],
  'quality-controller': ['consortium'],
  'institution-coordinator': ['institution'],
  'site-coordinator': ['site'],
  observer: ['network', 'consortium', 'institution', 'site'],
};

/** Consortium roles exist only where a member holds the matching function (002: roles split between members). */
export const ROLE_FUNCTION: Readonly<Partial<Record<Role, ConsortiumFunction>>> = {
  'consortium-coordinator': 'coordination-finance',
  'administrative-manager': 'administrative-management',
  'quality-controller': 'quality-control',
};

export const roleMayDo = (role: Role, action: Action): boolean => (ACTIONS[action].roles as readonly Role[]).includes(role);
