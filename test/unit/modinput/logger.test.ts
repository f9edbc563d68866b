import { expect } from 'chai';
import { createLogger, formatLine, type LogLevel } from '../../../src/modinput/logger.js';
import { parseLogLevel } from '../../../src/toolkit/log-levels.js';

function capture(level: LogLevel = 'DEBUG', context?: Record<string, string>) {
  const lines: string[] = [];
  const log = createLogger({ write: (text: string) => lines.push(text) }, { level, context });
  return { log, lines };
}

describe('modinput/logger', () => {
  it('writes LEVEL message key=value lines, one per message, with the level words splunkd maps', () => {
    const { log, lines } = capture();
    log.debug('d');
    log.info('Run finished', { action: 'events_ingested', n_events: 3, ok: true, big: 10n });
    log.warn('w');
    log.error('e');
    log.fatal('f');
    expect(lines).to.deep.equal([
      'DEBUG d\n',
      'INFO Run finished action=events_ingested n_events=3 ok=true big=10\n',
      'WARN w\n',
      'ERROR e\n',
      'FATAL f\n',
    ]);
  });

  it('drops messages below the threshold', () => {
    const { log, lines } = capture('WARN');
    log.debug('d');
    log.info('i');
    log.warn('w');
    log.error('e');
    expect(lines).to.deep.equal(['WARN w\n', 'ERROR e\n']);
  });

  it('quotes values with spaces, quotes or = and escapes inner quotes; skips undefined and null', () => {
    expect(
      formatLine('INFO', 'm', {
        a: 'two words',
        b: 'say "hi"',
        c: 'k=v',
        d: '',
        e: undefined,
        f: null,
        g: 'C:\\Program',
      }),
    ).to.equal('INFO m a="two words" b="say \\"hi\\"" c="k=v" d="" g=C:\\Program');
  });

  it('keeps each message on one line, whatever line breaks the message or values hold', () => {
    const { log, lines } = capture();
    log.error('first\r\nsecond\rthird\nfourth\u2028fifth', { stack: 'at a\n    at b' });
    expect(lines).to.have.length(1);
    expect(lines[0]).to.equal('ERROR first\\nsecond\\nthird\\nfourth\\nfifth stack="at a\\n    at b"\n');
  });

  it('masks a registered secret, its URL-encoded and JSON-escaped forms, in message and fields', () => {
    const { log, lines } = capture();
    const secret = 'p@ss w/rd"+';
    log.redact(secret);
    log.error(`token request failed for ${secret}`, {
      url: `https://proxy?x=${encodeURIComponent(secret)}`,
      form: `client_secret=${new URLSearchParams({ s: secret }).toString().slice(2)}`,
      body: JSON.stringify({ secret }),
    });
    expect(lines[0]).to.not.contain('w/rd');
    expect(lines[0]).to.not.contain('w%2Frd');
    expect(lines[0]).to.contain('token request failed for ***');
    expect(lines[0]!.match(/\*\*\*/g)).to.have.length(4);
  });

  it('shares redactions and threshold between a logger and its children, which add their fields', () => {
    const { log, lines } = capture('INFO', { app: 'TA' });
    const child = log.child({ input: 'defender_alerts://prod' });
    child.redact('s3cr3t-value');
    log.info('parent sees s3cr3t-value');
    child.info('child sees s3cr3t-value', { n: 1 });
    child.debug('hidden');
    expect(lines).to.deep.equal([
      'INFO parent sees *** app=TA\n',
      'INFO child sees *** app=TA input=defender_alerts://prod n=1\n',
    ]);
  });

  it('masks the longer of two overlapping secrets whole', () => {
    const { log, lines } = capture();
    log.redact('abc');
    log.redact('abcdef');
    log.info('x abcdef y abc');
    expect(lines[0]).to.equal('INFO x *** y ***\n');
  });

  it('ignores an empty secret instead of masking everything', () => {
    const { log, lines } = capture();
    log.redact('');
    log.info('hello');
    expect(lines[0]).to.equal('INFO hello\n');
  });

  it('reads level words case-insensitively, WARNING as WARN, and refuses others', () => {
    expect(parseLogLevel(' debug ')).to.equal('DEBUG');
    expect(parseLogLevel('Warning')).to.equal('WARN');
    expect(parseLogLevel('verbose')).to.equal(undefined);
  });
});
