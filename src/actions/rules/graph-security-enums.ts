/**
 * The classification and determination enums Microsoft Graph security alerts and incidents share
 * (https://learn.microsoft.com/graph/api/resources/security-alert,
 * https://learn.microsoft.com/graph/api/resources/security-incident), in the resource pages' spelling, with the
 * older spellings other pages still document accepted as aliases.
 */
import { foldEnumWord } from './params.js';

export type SecurityClassification = 'unknown' | 'falsePositive' | 'truePositive' | 'informationalExpectedActivity';
export type SecurityDetermination =
  | 'unknown'
  | 'apt'
  | 'malware'
  | 'securityPersonnel'
  | 'securityTesting'
  | 'unwantedSoftware'
  | 'other'
  | 'multiStagedAttack'
  | 'compromisedUser'
  | 'phishing'
  | 'maliciousUserActivity'
  | 'clean'
  | 'insufficientData'
  | 'confirmedUserActivity'
  | 'lineOfBusinessApplication';

/** In the order the resource pages list them. */
export const CLASSIFICATIONS: readonly SecurityClassification[] = [
  'unknown',
  'falsePositive',
  'truePositive',
  'informationalExpectedActivity',
];
export const DETERMINATIONS: readonly SecurityDetermination[] = [
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
];

/** The older documented spellings (MDE's pages, the incident update page), folded, → the resource pages' member. */
const DETERMINATION_ALIASES: Readonly<Record<string, SecurityDetermination>> = {
  notmalicious: 'clean',
  confirmedactivity: 'confirmedUserActivity',
  notenoughdatatovalidate: 'insufficientData',
  compromisedaccount: 'compromisedUser',
};

/** The classification a text names, in any letter case or separator style; undefined when it names none. */
export function findClassification(text: string): SecurityClassification | undefined {
  const folded = foldEnumWord(text);
  return CLASSIFICATIONS.find((c) => foldEnumWord(c) === folded);
}

/** The determination a text names, in any documented spelling; undefined when it names none. */
export function findDetermination(text: string): SecurityDetermination | undefined {
  const folded = foldEnumWord(text);
  return DETERMINATIONS.find((d) => foldEnumWord(d) === folded) ?? DETERMINATION_ALIASES[folded];
}
