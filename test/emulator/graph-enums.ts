/**
 * The values Graph's security write endpoints accept for the enums alerts and incidents share
 * (../shared/spec/defender-api.md §3.3). The emulator keeps its own copy, built from the spec, never the product's.
 */

export const CLASSIFICATION = ['unknown', 'falsePositive', 'truePositive', 'informationalExpectedActivity'];

/** §3.3 lists the current members; the same page's value table still uses older names, so both are accepted. */
export const DETERMINATION = [
  'unknown',
  'apt',
  'malware',
  'securityPersonnel',
  'securityTesting',
  'unwantedSoftware',
  'other',
  'multiStagedAttack',
  'compromisedUser',
  'phishing',
  'maliciousUserActivity',
  'clean',
  'insufficientData',
  'confirmedUserActivity',
  'lineOfBusinessApplication',
  'compromisedAccount',
  'notMalicious',
  'notEnoughDataToValidate',
  'confirmedActivity',
];
