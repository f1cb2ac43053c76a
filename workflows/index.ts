export { mobilityWorkflow } from './mobility.workflow';
