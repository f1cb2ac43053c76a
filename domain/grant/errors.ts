/**
 * A grant input that parses but breaks a rule (duration out of limits, too many travel days,
 * no rate for a partner country…). `field` names the input field to fix; `ruleId` the rule broken.
 */
export class GrantRuleError extends Error {
  override readonly name = 'GrantRuleError';
  constructor(
    readonly field: string,
    message: string,
    readonly ruleId: string | null = null,
  ) {
    super(`${field}: ${message}`);
  }
}

/** The duration is outside the activity's limits (reference §1.6). */
export class DurationOutOfLimits extends GrantRuleError {
  constructor(
    field: string,
    message: string,
    ruleId: string,
    readonly bound: 'min' | 'max',
  ) {
    super(field, message, ruleId);
  }
}
