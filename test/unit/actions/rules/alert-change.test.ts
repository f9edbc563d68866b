import { expect } from 'chai';
import {
  findMismatches,
  parseAlertChange,
  toGraphCommentBody,
  toGraphPatchBody,
  toMdeBatchBody,
  toMdePatchBody,
} from '../../../../src/actions/rules/alert-change.js';

function ok(config: Record<string, string>, family: 'graph' | 'mde') {
  const parsed = parseAlertChange(config, family);
  if (!parsed.ok) throw new Error(parsed.problems.join(' '));
  return parsed.change;
}
function problems(config: Record<string, string>, family: 'graph' | 'mde'): string[] {
  const parsed = parseAlertChange(config, family);
  expect(parsed.ok, 'should be refused').to.equal(false);
  return parsed.ok ? [] : parsed.problems;
}

describe('alert change: enums and spellings', () => {
  it('accepts Graph camelCase, MDE PascalCase and loose spellings of the same status', () => {
    for (const spelling of ['inProgress', 'InProgress', 'in progress', 'IN_PROGRESS', 'in-progress']) {
      expect(ok({ status: spelling }, 'graph').status, spelling).to.equal('inProgress');
      expect(ok({ status: spelling }, 'mde').status, spelling).to.equal('inProgress');
    }
  });

  it('sends camelCase to Graph and PascalCase to MDE', () => {
    const change = ok(
      {
        status: 'Resolved',
        classification: 'falsepositive',
        determination: 'insufficient_data',
        assigned_to: 'a@contoso.com',
      },
      'mde',
    );
    expect(toGraphPatchBody(change)).to.deep.equal({
      status: 'resolved',
      classification: 'falsePositive',
      determination: 'insufficientData',
      assignedTo: 'a@contoso.com',
    });
    expect(toMdePatchBody(change)).to.deep.equal({
      status: 'Resolved',
      assignedTo: 'a@contoso.com',
      classification: 'FalsePositive',
      determination: 'InsufficientData',
    });
  });

  it('accepts both documented determination spellings and sends each MDE endpoint the one its page documents', () => {
    for (const [typed, patch, batch] of [
      ['notMalicious', 'NotMalicious', 'Clean'],
      ['Clean', 'NotMalicious', 'Clean'],
      ['ConfirmedActivity', 'ConfirmedActivity', 'ConfirmedUserActivity'],
      ['confirmedUserActivity', 'ConfirmedActivity', 'ConfirmedUserActivity'],
    ] as const) {
      const classification = patch === 'NotMalicious' ? 'FalsePositive' : 'InformationalExpectedActivity';
      const change = ok({ classification, determination: typed }, 'mde');
      expect(toMdePatchBody(change).determination, typed).to.equal(patch);
      expect(toMdeBatchBody(change, ['x']).determination, typed).to.equal(batch);
    }
    expect(toGraphPatchBody(ok({ determination: 'notMalicious' }, 'graph')).determination).to.equal('clean');
    expect(toGraphPatchBody(ok({ determination: 'compromisedAccount' }, 'graph')).determination).to.equal(
      'compromisedUser',
    );
  });

  it('rejects a determination that does not fit the classification for MDE, naming the ones that do', () => {
    const [problem] = problems({ classification: 'FalsePositive', determination: 'Malware' }, 'mde');
    expect(problem).to.include('does not fit classification FalsePositive');
    expect(problem).to.include('NotMalicious, InsufficientData, Other');
  });

  it('requires a classification with a determination for MDE but not for Graph', () => {
    expect(problems({ determination: 'Malware' }, 'mde')[0]).to.match(
      /determination needs a classification for api mde/,
    );
    expect(ok({ determination: 'Malware' }, 'graph').determination).to.equal('malware');
  });

  it('refuses determinations MDE withdrew in 2022 and the unknown classification on MDE', () => {
    expect(problems({ classification: 'TruePositive', determination: 'Apt' }, 'mde')[0]).to.include('withdrawn');
    expect(problems({ classification: 'unknown' }, 'mde')[0]).to.include('not valid for api mde');
    expect(ok({ classification: 'unknown', determination: 'apt' }, 'graph')).to.deep.equal({
      classification: 'unknown',
      determination: 'apt',
    });
  });

  it('lists every problem at once, each naming the parameter and the accepted values', () => {
    const found = problems({ status: 'closed', classification: 'bad', determination: 'worse' }, 'graph');
    expect(found).to.have.length(3);
    expect(found[0]).to.match(/^status "closed" is not an alert status: use one of new, inProgress, resolved\./);
    expect(found[1]).to.match(/^classification "bad"/);
    expect(found[2]).to.match(/^determination "worse"/);
  });

  it('refuses an empty change', () => {
    expect(problems({ status: '  ', comment: '' }, 'graph')[0]).to.match(/Nothing to change/);
  });

  it('puts the comment in the MDE body and in a separate Graph comment body', () => {
    const change = ok({ comment: 'closed from Splunk' }, 'graph');
    expect(toGraphPatchBody(change)).to.deep.equal({});
    expect(toGraphCommentBody('closed from Splunk')).to.deep.equal({
      '@odata.type': 'microsoft.graph.security.alertComment',
      comment: 'closed from Splunk',
    });
    expect(toMdeBatchBody(change, ['a', 'b'])).to.deep.equal({ alertIds: ['a', 'b'], comment: 'closed from Splunk' });
  });

  it('finds the fields an alert does not show, counting spelling variants as equal', () => {
    const change = ok(
      {
        status: 'resolved',
        classification: 'FalsePositive',
        determination: 'clean',
        assigned_to: 'A@Contoso.com',
        comment: 'c',
      },
      'mde',
    );
    expect(
      findMismatches(
        {
          status: 'Resolved',
          classification: 'FalsePositive',
          determination: 'NotMalicious',
          assignedTo: 'a@contoso.com',
          comments: [{ comment: 'c' }],
        },
        change,
      ),
    ).to.deep.equal([]);
    expect(
      findMismatches(
        { status: 'New', classification: 'FalsePositive', determination: 'Other', assignedTo: null, comments: [] },
        change,
      ),
    ).to.deep.equal([
      'status is New, not resolved',
      'determination is Other, not clean',
      'assignedTo is null, not A@Contoso.com',
      "the comment is not among the alert's comments",
    ]);
  });
});
