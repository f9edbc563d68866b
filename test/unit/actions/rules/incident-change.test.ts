import { expect } from 'chai';
import {
  findIncidentMismatches,
  mergeTags,
  parseIncidentChange,
  toIncidentPatchBody,
} from '../../../../src/actions/rules/incident-change.js';

const problems = (config: Record<string, string>) => {
  const parsed = parseIncidentChange(config);
  return parsed.ok ? [] : parsed.problems;
};

describe('actions/rules/incident-change', () => {
  it("reads every documented field in any case or spelling, sending the update page's spelling", () => {
    const parsed = parseIncidentChange({
      status: 'Resolved',
      classification: 'true_positive',
      determination: 'clean',
      assigned_to: ' soc@contoso.com ',
      custom_tags: 'splunk, triaged, splunk',
      comment: 'Closed from Splunk',
    });
    expect(parsed).to.deep.equal({
      ok: true,
      change: {
        status: 'resolved',
        classification: 'truePositive',
        determination: 'notMalicious',
        assignedTo: 'soc@contoso.com',
        addTags: ['splunk', 'triaged'],
        comment: 'Closed from Splunk',
      },
    });
    for (const [typed, sent] of [
      ['insufficientData', 'notEnoughDataToValidate'],
      ['compromisedUser', 'compromisedAccount'],
      ['confirmedActivity', 'confirmedUserActivity'],
      ['MultiStagedAttack', 'multiStagedAttack'],
    ]) {
      const change = parseIncidentChange({ determination: typed! });
      expect(change.ok && change.change.determination, typed).to.equal(sent);
    }
    expect(parseIncidentChange({ status: 'in progress' })).to.deep.equal({
      ok: true,
      change: { status: 'inProgress' },
    });
  });

  it('refuses values outside the documented enums, every problem at once, naming the accepted values', () => {
    expect(problems({ status: 'closed', classification: 'benign', determination: 'bad' })).to.deep.equal([
      'status "closed" is not an incident status: use one of active, inProgress, resolved.',
      'classification "benign" is not an incident classification: use one of unknown, falsePositive, truePositive, ' +
        'informationalExpectedActivity.',
      'determination "bad" is not a documented determination: use one of unknown, apt, malware, securityPersonnel, ' +
        'securityTesting, unwantedSoftware, other, multiStagedAttack, compromisedAccount, phishing, ' +
        'maliciousUserActivity, notMalicious, notEnoughDataToValidate, confirmedUserActivity, ' +
        'lineOfBusinessApplication (clean, insufficientData and compromisedUser are accepted too).',
    ]);
    expect(problems({ status: 'redirected' })[0]).to.match(/cannot be set: Defender sets it when it merges incidents/);
    expect(problems({ status: 'awaitingAction' })[0]).to.match(/only Microsoft Defender Experts set it/);
    expect(problems({})).to.deep.equal([
      'Nothing to change: set at least one of status, classification, determination, assigned_to, custom_tags or ' +
        'comment.',
    ]);
    expect(problems({ comment: 'x'.repeat(4001) })[0]).to.match(/comment is 4001 characters long/);
    expect(problems({ custom_tags: Array.from({ length: 51 }, (_, i) => `t${i}`).join(',') })[0]).to.match(/51 tags/);
  });

  it('builds the PATCH body with the merged tags and checks the answer against the change', () => {
    const parsed = parseIncidentChange({ status: 'resolved', determination: 'clean', custom_tags: 'b,c' });
    if (!parsed.ok) throw new Error(parsed.problems.join(' '));
    const tags = mergeTags(['a', 'b'], parsed.change.addTags!);
    expect(toIncidentPatchBody(parsed.change, tags)).to.deep.equal({
      status: 'resolved',
      determination: 'notMalicious',
      customTags: ['a', 'b', 'c'],
    });
    // Graph may answer with either spelling: both show the change.
    expect(
      findIncidentMismatches(
        { status: 'Resolved', determination: 'clean', customTags: ['a', 'b', 'c'] },
        parsed.change,
      ),
    ).to.deep.equal([]);
    expect(
      findIncidentMismatches({ status: 'active', determination: 'malware', customTags: ['a'] }, parsed.change),
    ).to.deep.equal([
      'status is active, not resolved',
      'determination is malware, not notMalicious',
      'customTags lacks b, c',
    ]);
  });
});
