/**
 * `berth reject server <name> --stage … --note TEXT`: an approver's rejection of a
 * lifecycle stage; see approve.ts.
 */
import { stageDecisionCommand } from './approve.ts';

export default stageDecisionCommand('reject');
