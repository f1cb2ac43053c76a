export { mobilityWorkflow } from './mobility.workflow';
export { projectBudgetWorkflow } from './budget.workflow';
export { incomingWorkflow } from './incoming.workflow';
