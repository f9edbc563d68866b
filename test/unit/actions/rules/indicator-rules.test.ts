import { expect } from 'chai';
import { parseExpiration } from '../../../../src/actions/rules/expiration.js';
import {
  buildIndicator,
  inferIndicatorType,
  normaliseIndicatorValue,
  type IndicatorSettings,
} from '../../../../src/actions/rules/indicator-rules.js';

const NOW = Date.parse('2025-01-15T12:00:00Z');
const context = { nowMs: NOW, searchName: 'Bad hashes', sid: 'sid_1' };
const SHA1 = 'A94A8FE5CCB19BA61C4C0873D391E987982FBBD3';
const SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const MD5 = 'd41d8cd98f00b204e9800998ecf8427e';

function build(value: string, settings: IndicatorSettings = {}) {
  return buildIndicator(value, { action: 'Block', ...settings }, context);
}
function problemsOf(value: string, settings: IndicatorSettings = {}): string {
  const built = build(value, settings);
  expect(built.ok, `${value} should be refused`).to.equal(false);
  return built.ok ? '' : built.problems.join(' ');
}

describe('indicator rules', () => {
  describe('type inference', () => {
    const cases: Array<[string, string | undefined]> = [
      [SHA1, 'FileSha1'],
      [SHA256, 'FileSha256'],
      [MD5, 'FileMd5'],
      ['203.0.113.7', 'IpAddress'],
      ['2001:db8::1', 'IpAddress'],
      ['203.0.113.0/24', 'IpAddress'],
      ['https://evil.example/payload?x=1', 'Url'],
      ['http://203.0.113.7/a', 'Url'],
      ['evil.example', 'DomainName'],
      ['sub.evil.example.', 'DomainName'],
      ['not a thing', undefined],
      ['abc123', undefined],
      ['a'.repeat(41), undefined],
    ];
    for (const [value, type] of cases) {
      it(`infers ${type ?? 'nothing'} for ${value.slice(0, 30)}`, () =>
        expect(inferIndicatorType(value)).to.equal(type));
    }
  });

  describe('value validation', () => {
    it('lower-cases hashes and checks their length and hex digits', () => {
      expect(normaliseIndicatorValue(SHA1, 'FileSha1')).to.deep.equal({ ok: true, value: SHA1.toLowerCase() });
      expect(problemsOf(SHA1.slice(1), { type: 'FileSha1' })).to.include(
        'must be 40 hexadecimal digits (got 39 characters)',
      );
      expect(problemsOf(`${SHA256.slice(1)}g`, { type: 'FileSha256' })).to.include('not all hex');
      expect(problemsOf(SHA1, { type: 'FileMd5' })).to.include('must be 32 hexadecimal digits');
    });

    it('refuses CIDR ranges and malformed addresses for IpAddress', () => {
      expect(problemsOf('203.0.113.0/24')).to.include('CIDR range: Defender takes single IP addresses only');
      expect(problemsOf('999.1.1.1', { type: 'IpAddress' })).to.include('not an IPv4 or IPv6 address');
      expect(problemsOf('fe80::1%eth0', { type: 'IpAddress' })).to.include('not an IPv4 or IPv6 address');
    });

    it('accepts http(s) URLs only', () => {
      expect(build('https://evil.example/x').ok).to.equal(true);
      expect(problemsOf('ftp://evil.example/x', { type: 'Url' })).to.include('not an http or https URL');
      expect(problemsOf('evil.example/x', { type: 'Url' })).to.include('give it with its scheme');
    });

    it('normalises domains to lower-case ASCII without the trailing dot and refuses wildcards', () => {
      expect(normaliseIndicatorValue('Sub.Bücher.Example.', 'DomainName')).to.deep.equal({
        ok: true,
        value: 'sub.xn--bcher-kva.example',
      });
      expect(problemsOf('*.evil.example', { type: 'DomainName' })).to.include('wildcards are not accepted');
      expect(problemsOf('-bad-.example', { type: 'DomainName' })).to.include('not a valid domain name');
      expect(problemsOf('localhost', { type: 'DomainName' })).to.include('not a valid domain name');
      expect(problemsOf('https://evil.example', { type: 'DomainName' })).to.include('use type Url');
    });

    it('asks for the type when it cannot be inferred', () => {
      expect(problemsOf('not a thing')).to.match(/cannot tell the type of "not a thing": set type/);
    });
  });

  describe('actions and generateAlert', () => {
    it('allows each type only its documented actions', () => {
      expect(build(SHA256, { action: 'BlockAndRemediate' }).ok).to.equal(true);
      expect(problemsOf('203.0.113.7', { action: 'BlockAndRemediate' })).to.include(
        'action BlockAndRemediate is not allowed for IpAddress indicators: use one of Allowed, Audit, Warn, Block',
      );
      expect(problemsOf(SHA1, { type: 'CertificateThumbprint', action: 'Block' })).to.include(
        'use one of Allowed, BlockAndRemediate',
      );
    });

    it('points retired actions at their replacements', () => {
      expect(problemsOf(SHA1, { action: 'AlertAndBlock' })).to.include('retired in January 2022');
      expect(problemsOf(SHA1, { action: 'Alert' })).to.include('use action Audit with generate_alert = 1');
    });

    it('turns generateAlert on for Audit by default and refuses Audit without it', () => {
      const built = build(SHA1, { action: 'audit' });
      expect(built.ok && built.indicator.generateAlert).to.equal(true);
      expect(problemsOf(SHA1, { action: 'Audit', generate_alert: '0' })).to.include(
        'action Audit needs generate_alert = 1',
      );
      const block = build(SHA1, { action: 'Block' });
      expect(block.ok && block.indicator.generateAlert).to.equal(false);
    });

    it('accepts the portal word Allow for Allowed', () => {
      const built = build(SHA1, { action: 'allow' });
      expect(built.ok && built.indicator.action).to.equal('Allowed');
    });
  });

  it('builds the import item with defaults naming the search, and every optional field', () => {
    const built = build(` ${SHA256.toUpperCase()} `, {
      severity: 'high',
      expiration: '+30d',
      recommended_actions: 'Isolate',
      rbac_group_names: 'Servers, Laptops,,',
      generate_alert: 'yes',
    });
    expect(built).to.deep.equal({
      ok: true,
      indicator: {
        indicatorValue: SHA256,
        indicatorType: 'FileSha256',
        action: 'Block',
        title: 'Splunk: Bad hashes',
        description: 'Submitted by the Splunk search "Bad hashes" (sid sid_1).',
        generateAlert: true,
        severity: 'High',
        expirationTime: '2025-02-14T12:00:00Z',
        recommendedActions: 'Isolate',
        rbacGroupNames: ['Servers', 'Laptops'],
      },
    });
  });

  it('reports every problem of one indicator at once', () => {
    const problems = problemsOf('1.2.3.0/8', {
      action: 'Nope',
      severity: 'urgent',
      expiration: 'tomorrow',
      generate_alert: 'maybe',
    });
    for (const part of [
      'CIDR',
      'action "Nope"',
      'severity "urgent"',
      'expiration "tomorrow"',
      'generate_alert must be 1 or 0',
    ])
      expect(problems).to.include(part);
  });
});

describe('indicator expiration', () => {
  it('adds relative minutes, hours, days and weeks to now', () => {
    expect(parseExpiration('+90m', NOW)).to.deep.equal({ ok: true, value: '2025-01-15T13:30:00Z' });
    expect(parseExpiration('+12h', NOW)).to.deep.equal({ ok: true, value: '2025-01-16T00:00:00Z' });
    expect(parseExpiration('+2w', NOW)).to.deep.equal({ ok: true, value: '2025-01-29T12:00:00Z' });
  });

  it('reads ISO times with a zone and dates as UTC midnight', () => {
    expect(parseExpiration('2030-12-31', NOW)).to.deep.equal({ ok: true, value: '2030-12-31T00:00:00Z' });
    expect(parseExpiration('2030-12-31T10:00:00.1234567+02:00', NOW)).to.deep.equal({
      ok: true,
      value: '2030-12-31T08:00:00Z',
    });
  });

  it('refuses a time without a zone, an impossible date and a time in the past, saying what to write', () => {
    expect(parseExpiration('2030-12-31T10:00:00', NOW)).to.deep.equal({
      ok: false,
      problem: 'expiration "2030-12-31T10:00:00" has no time zone: add Z for UTC (e.g. 2030-12-31T10:00:00Z).',
    });
    expect(parseExpiration('2030-13-45', NOW).ok).to.equal(false);
    expect(parseExpiration('2020-01-01T00:00:00Z', NOW)).to.deep.equal({
      ok: false,
      problem: 'expiration "2020-01-01T00:00:00Z" is in the past: give a later time.',
    });
    expect(parseExpiration('-30d', NOW).ok).to.equal(false);
  });
});
