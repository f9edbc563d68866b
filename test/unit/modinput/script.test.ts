import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Readable, Writable } from 'node:stream';
import { ConfigError } from '../../../src/errors.js';
import { createLogger } from '../../../src/modinput/logger.js';
import { formatScheme } from '../../../src/modinput/scheme.js';
import type { InputDefinition, SchemeDefinition, ValidationDefinition } from '../../../src/modinput/scheme-types.js';
import { runModularInput, type ModularInputHandlers } from '../../../src/modinput/script.js';
import { parseSplunkStream } from '../../helpers/stream-parser.js';
import { expectXmlEqual } from '../../helpers/xml-equal.js';
import { PYTHON_SET, readFixture } from './fixtures.js';

const SCHEME: SchemeDefinition = {
  title: 'Microsoft Defender alerts',
  description: 'Pulls alerts',
  useExternalValidation: true,
  useSingleInstance: false,
  streamingMode: 'xml',
  args: [
    {
      name: 'tenant_id',
      title: 'Tenant ID',
      description: 'Entra ID tenant',
      dataType: 'string',
      requiredOnCreate: true,
      requiredOnEdit: false,
    },
  ],
};

class Collector extends Writable {
  readonly chunks: Buffer[] = [];
  failWith: NodeJS.ErrnoException | undefined;
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.failWith) return callback(this.failWith);
    this.chunks.push(Buffer.from(chunk));
    callback();
  }
  get text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

interface Run {
  code: number;
  stdout: string;
  stderr: string[];
  calls: { validate: ValidationDefinition[]; stream: InputDefinition[] };
}

async function run(
  argv: string[],
  stdin: Buffer | string | Readable,
  handlers: Partial<ModularInputHandlers> = {},
  stdout = new Collector(),
): Promise<Run> {
  const stderr: string[] = [];
  const calls: Run['calls'] = { validate: [], stream: [] };
  const input = stdin instanceof Readable ? stdin : Readable.from([Buffer.from(stdin)]);
  const all: ModularInputHandlers = {
    scheme: handlers.scheme ?? (() => SCHEME),
    validate: async (def) => {
      calls.validate.push(def);
      return handlers.validate ? handlers.validate(def) : undefined;
    },
    stream: async (def, sink, log) => {
      calls.stream.push(def);
      return handlers.stream ? handlers.stream(def, sink, log) : 0;
    },
  };
  const log = createLogger({ write: (line: string) => stderr.push(line) }, { level: 'INFO' });
  const code = await runModularInput(argv, { stdin: input, stdout, stderr: { write: () => true } }, all, {
    log,
    readTimeoutMs: 200,
  });
  for (const line of stderr) expect(line).to.match(/^(DEBUG|INFO|WARN|ERROR|FATAL) [^\n]*\n$/);
  return { code, stdout: stdout.text, stderr, calls };
}

const fixture = (name: string) => readFixture(PYTHON_SET, name);
const INPUT_TWO = fixture('conf_with_2_inputs.xml');
const event = (stanza: string) => ({
  stanza,
  time: '1372275124.466',
  source: 'hilda',
  sourcetype: 'misc',
  index: 'main',
  host: 'localhost',
  data: 'This is a test of the emergency broadcast system.',
});

describe('modinput/script', () => {
  describe('--scheme', () => {
    it('prints the scheme XML and exits 0 without reading stdin', async () => {
      const result = await run(['--scheme'], new PassThrough());
      expect(result.code).to.equal(0);
      expect(result.stdout).to.equal(formatScheme(SCHEME));
      expect(result.stderr).to.deep.equal([]);
    });

    it('exits 1 with one FATAL line and no output when the scheme cannot be built', async () => {
      const result = await run(['--scheme'], '', {
        scheme: () => {
          throw new Error('table broken');
        },
      });
      expect(result.code).to.equal(1);
      expect(result.stdout).to.equal('');
      expect(result.stderr).to.have.length(1);
      expect(result.stderr[0]).to.match(/^FATAL Cannot build the scheme: Error: table broken/);
    });
  });

  describe('--validate-arguments', () => {
    it('accepts silently: exit 0, empty stdout and stderr, the item handed over (UTF-16 fixture)', async () => {
      const result = await run(['--validate-arguments'], fixture('validation.xml'));
      expect(result).to.deep.include({ code: 0, stdout: '', stderr: [] });
      expect(result.calls.validate[0]!.item.name).to.equal('aaa');
    });

    it('rejects with exactly the SDK error document on stdout and exit 1', async () => {
      const result = await run(['--validate-arguments'], fixture('validation.xml'), {
        validate: async () => 'Big fat validation error!',
      });
      expect(result.code).to.equal(1);
      expect(result.stdout).to.equal(readFileSync(join(PYTHON_SET, 'validation_error.xml'), 'utf8'));
    });

    it('escapes the message of the error document', async () => {
      const result = await run(['--validate-arguments'], fixture('validation.xml'), {
        validate: async () => 'tenant_id: use a GUID & not <this>',
      });
      expectXmlEqual(result.stdout, '<error><message>tenant_id: use a GUID &amp; not &lt;this&gt;</message></error>');
    });

    it('shows an AddonError message to the admin and hides anything else behind a pointer to splunkd.log', async () => {
      const known = await run(['--validate-arguments'], fixture('validation.xml'), {
        validate: async () => {
          throw new ConfigError(['region: use global or us.']);
        },
      });
      expect(known.code).to.equal(1);
      expect(known.stdout).to.equal('<error><message>region: use global or us.</message></error>');
      const bug = await run(['--validate-arguments'], fixture('validation.xml'), {
        validate: async () => {
          throw new TypeError('x is undefined near 123102983109283019283');
        },
      });
      expect(bug.code).to.equal(1);
      expect(bug.stdout).to.match(/see splunkd\.log/);
      expect(bug.stdout).to.not.contain('undefined');
      expect(bug.stderr.join(''))
        .to.contain('TypeError: x is undefined near ***')
        .and.not.contain('123102983109283019283');
    });

    it('stops reading at </items> when splunkd keeps stdin open', async () => {
      const stdin = new PassThrough();
      stdin.write(fixture('validation.xml'));
      const result = await run(['--validate-arguments'], stdin);
      expect(result.code).to.equal(0);
    });

    it('rejects a malformed request with an error document and exit 1', async () => {
      const result = await run(['--validate-arguments'], '<items><item name="a">');
      expect(result.code).to.equal(1);
      expect(result.stdout).to.match(/^<error><message>The validation request is not well-formed XML/);
      expect(result.calls.validate).to.have.length(0);
    });
  });

  describe('run mode', () => {
    it('hands the definition to stream() and frames its events; matches stream_with_two_events.xml', async () => {
      const result = await run([], INPUT_TWO, {
        stream: async (def, sink) => {
          for (const stanza of def.stanzas) await sink.write({ ...event(stanza.name), stanza: 'fubar' });
          return 0;
        },
      });
      expect(result.code).to.equal(0);
      expect(result.calls.stream[0]!.stanzas.map((s) => s.name)).to.deep.equal(['foobar://aaa', 'foobar://bbb']);
      expectXmlEqual(result.stdout, fixture('stream_with_two_events.xml'));
    });

    it('returns the exit code stream() chose', async () => {
      expect((await run([], INPUT_TWO, { stream: async () => 3 })).code).to.equal(3);
    });

    it('calls stream() with no stanzas for an empty <configuration/> and writes nothing', async () => {
      const result = await run([], fixture('conf_with_0_inputs.xml'));
      expect(result).to.deep.include({ code: 0, stdout: '' });
      expect(result.calls.stream[0]!.stanzas).to.deep.equal([]);
    });

    it('stops reading at </input> when splunkd keeps stdin open', async () => {
      const stdin = new PassThrough();
      stdin.write(INPUT_TWO);
      const result = await run([], stdin);
      expect(result.code).to.equal(0);
      expect(result.calls.stream).to.have.length(1);
    });

    it('reads stdin that arrives in small pieces', async () => {
      const bytes = readFixture(PYTHON_SET, 'conf_with_2_inputs.xml');
      const pieces = Array.from({ length: Math.ceil(bytes.length / 7) }, (_, i) => bytes.subarray(i * 7, i * 7 + 7));
      const result = await run([], Readable.from(pieces));
      expect(result.calls.stream[0]!.stanzas).to.have.length(2);
    });

    it('gives up waiting for stdin with one ERROR line that says how to feed the script', async () => {
      const result = await run([], new PassThrough());
      expect(result).to.deep.include({ code: 1, stdout: '' });
      expect(result.stderr).to.have.length(1);
      expect(result.stderr[0]).to.match(
        /^ERROR .*No <input> XML arrived on stdin.*splunk cmd splunkd print-modinput-config defender_alerts/,
      );
      expect(result.calls.stream).to.have.length(0);
    });

    it('refuses malformed input with one ERROR line, exit 1 and no partial stream', async () => {
      const result = await run([], fixture('conf_with_invalid_inputs.xml'));
      expect(result).to.deep.include({ code: 1, stdout: '' });
      expect(result.stderr).to.have.length(1);
      expect(result.stderr[0]).to.match(
        /^ERROR Cannot read the input definition from splunkd: Unexpected element <editor> at line 9/,
      );
      expect(result.calls.stream).to.have.length(0);
    });

    it('still closes the stream after a handler crash, keeping the events already written', async () => {
      const result = await run([], INPUT_TWO, {
        stream: async (_def, sink) => {
          await sink.write(event('defender_alerts://a'));
          throw new Error('boom');
        },
      });
      expect(result.code).to.equal(1);
      const parsed = parseSplunkStream(result.stdout);
      expect(parsed.closed).to.equal(true);
      expect(parsed.events).to.have.length(1);
      expect(
        result.stderr.some((line) => line.startsWith('FATAL The input failed unexpectedly: Error: boom')),
      ).to.equal(true);
    });

    it('exits 1 with an ERROR line when stdout breaks (EPIPE) even if the handler said 0', async () => {
      const stdout = new Collector();
      stdout.failWith = Object.assign(new Error('write EPIPE'), { code: 'EPIPE' });
      const result = await run(
        [],
        INPUT_TWO,
        {
          stream: async (_def, sink) => {
            void sink.write(event('defender_alerts://a'));
            return 0;
          },
        },
        stdout,
      );
      expect(result.code).to.equal(1);
      expect(
        result.stderr.some((line) =>
          /^ERROR The event stream could not be completed: stdout failed \(EPIPE\)/.test(line),
        ),
      ).to.equal(true);
    });

    it('masks the session key in every log line', async () => {
      const result = await run([], INPUT_TWO, {
        stream: async (def, _sink, log) => {
          log.info(`key is ${def.sessionKey}`, { key: def.sessionKey });
          return 0;
        },
      });
      expect(result.stderr).to.deep.equal(['INFO key is *** key=***\n']);
    });
  });

  it('refuses unknown arguments with one ERROR line naming the accepted ones, exit 2', async () => {
    for (const argv of [['--help'], ['--scheme', 'extra']]) {
      const result = await run(argv, '');
      expect(result.code).to.equal(2);
      expect(result.stdout).to.equal('');
      expect(result.stderr).to.have.length(1);
      expect(result.stderr[0]).to.match(
        /^ERROR Unknown arguments: .*accepted: --scheme, --validate-arguments, or no argument/,
      );
    }
  });
});
