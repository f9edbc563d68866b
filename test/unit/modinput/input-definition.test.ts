import { expect } from 'chai';
import { readdirSync } from 'node:fs';
import { parseInputDefinition } from '../../../src/modinput/input-definition.js';
import { ModinputProtocolError } from '../../../src/modinput/protocol-error.js';
import { decodeXmlBytes } from '../../../src/modinput/xml-decode.js';
import { CAPTURES, JS_SET, PYTHON_SET, readFixture, SDK_SETS } from './fixtures.js';

const parseFixture = (dir: string, name: string) => parseInputDefinition(decodeXmlBytes(readFixture(dir, name)));

const STANZA_AAA = { param1: 'value1', param2: 'value2', disabled: '0', index: 'default' };
const STANZA_BBB = {
  param1: 'value11',
  param2: 'value22',
  disabled: '0',
  index: 'default',
  multiValue: ['value1', 'value2'],
  multiValue2: ['value3', 'value4'],
};

describe('modinput/input-definition', () => {
  for (const { label, dir } of SDK_SETS) {
    describe(`${label} SDK fixtures`, () => {
      it('parses conf_with_0_inputs.xml: metadata and no stanzas', () => {
        expect(parseFixture(dir, 'conf_with_0_inputs.xml')).to.deep.equal({
          serverHost: 'tiny',
          serverUri: 'https://127.0.0.1:8089',
          sessionKey: '123102983109283019283',
          checkpointDir: '/some/dir',
          stanzas: [],
        });
      });

      it('parses conf_with_2_inputs.xml: params as strings, param_list as arrays, app when present', () => {
        const definition = parseFixture(dir, 'conf_with_2_inputs.xml');
        const apps = label === 'python' ? ['search', 'my_app'] : [undefined, undefined];
        expect(definition.stanzas).to.deep.equal([
          { name: 'foobar://aaa', app: apps[0], params: STANZA_AAA },
          { name: 'foobar://bbb', app: apps[1], params: STANZA_BBB },
        ]);
      });

      it('rejects conf_with_invalid_inputs.xml, naming the element, its stanza and its position', () => {
        expect(() => parseFixture(dir, 'conf_with_invalid_inputs.xml')).to.throw(
          ModinputProtocolError,
          /Unexpected element <editor> at line 9, column \d+ inside <stanza name="foobar:\/\/aaa">: only <param> and <param_list>/,
        );
      });
    });
  }

  it('parses conf_with_5_inputs.xml (javascript set) in document order', () => {
    const names = parseFixture(JS_SET, 'conf_with_5_inputs.xml').stanzas.map((stanza) => stanza.name);
    expect(names).to.deep.equal(['foobar://aaa', 'foobar://bbb', 'foobar://ccc', 'foobar://ddd', 'foobar://eee']);
  });

  it('parses every real splunkd capture', () => {
    const files = readdirSync(CAPTURES).filter((name) => name.endsWith('.xml'));
    expect(files).to.have.length.greaterThan(2);
    for (const name of files) {
      const definition = parseFixture(CAPTURES, name);
      expect(definition.stanzas, name).to.have.length(1);
      expect(definition.stanzas[0]!.app, name).to.be.a('string');
    }
  });

  it('keeps Windows paths, $-variables and app= from the Splunk_TA_otel capture verbatim', () => {
    const definition = parseFixture(CAPTURES, 'Splunk_TA_otel.inputs.xml');
    expect(definition.checkpointDir).to.equal('C:\\Program Files\\Splunk\\var\\lib\\splunk\\modinputs\\Splunk_TA_otel');
    expect(definition.sessionKey).to.equal('_fake_session_key');
    expect(definition.stanzas[0]).to.deep.include({ name: 'Splunk_TA_otel://Splunk_TA_otel', app: 'Splunk_TA_otel' });
    expect(definition.stanzas[0]!.params).to.include({
      host: '$decideOnStartup',
      disabled: 'false',
      start_by_shell: 'false',
      interval: '60',
    });
  });

  it('keeps a stanza name containing slashes and the session key with its ^ (issue201, otlp captures)', () => {
    expect(parseFixture(CAPTURES, 'splunk-sdk-python-issue201.input.xml').stanzas[0]).to.deep.include({
      name: 'jmeter://etc/apps/CA-jmeter/scenarios/test.jmx',
      app: 'CA-jmeter',
    });
    const otlp = parseFixture(CAPTURES, 'splunk-connect-for-otlp.input.xml');
    expect(otlp.sessionKey).to.match(/^OwLHq7jpfgz0WLe5t8Kw.*\^KUKEA8.*XTZj1N$/);
    expect(otlp.stanzas[0]).to.deep.include({ name: 'otlpinput://specialmind', app: 'search' });
  });

  it('keeps empty params as empty strings and entity-escaped values decoded', () => {
    const definition = parseInputDefinition(
      '<input><server_host>h</server_host><server_uri>https://127.0.0.1:8089</server_uri><session_key>k</session_key>' +
        '<checkpoint_dir>/d</checkpoint_dir><configuration><stanza name="defender_alerts://a&amp;b" app="TA">' +
        '<param name="index"></param><param name="filter">severity eq &apos;high&apos; &amp; x &lt; 3</param>' +
        '<param_list name="empty"></param_list></stanza></configuration></input>',
    );
    expect(definition.stanzas[0]).to.deep.equal({
      name: 'defender_alerts://a&b',
      app: 'TA',
      params: { index: '', filter: "severity eq 'high' & x < 3", empty: [] },
    });
  });

  it('rejects text that is not XML, with the parser position', () => {
    expect(() => parseInputDefinition('<input><server_host>h</input>')).to.throw(
      ModinputProtocolError,
      /not well-formed XML: 1:\d+/,
    );
    expect(() => parseInputDefinition(' \n')).to.throw(ModinputProtocolError, /The input definition is empty/);
  });

  it('rejects a validation request given in run mode, naming both roots', () => {
    expect(() => parseInputDefinition(decodeXmlBytes(readFixture(PYTHON_SET, 'validation.xml')))).to.throw(
      ModinputProtocolError,
      /must be an <input> document, but its root is <items>/,
    );
  });

  it('names every missing metadata element', () => {
    expect(() => parseInputDefinition('<input><server_host>h</server_host><configuration/></input>')).to.throw(
      ModinputProtocolError,
      /lacks <server_uri>, <session_key>, <checkpoint_dir> under <input>/,
    );
  });

  it('rejects a missing <configuration>, a stanza without a name and a foreign element in <configuration>', () => {
    const head =
      '<input><server_host>h</server_host><server_uri>u</server_uri><session_key>k</session_key><checkpoint_dir>d</checkpoint_dir>';
    expect(() => parseInputDefinition(`${head}</input>`)).to.throw(ModinputProtocolError, /no <configuration>/);
    expect(() => parseInputDefinition(`${head}<configuration><stanza/></configuration></input>`)).to.throw(
      ModinputProtocolError,
      /<stanza> at line 1, column \d+ has no name= attribute/,
    );
    expect(() => parseInputDefinition(`${head}<configuration><item name="x"/></configuration></input>`)).to.throw(
      ModinputProtocolError,
      /only <stanza> is allowed/,
    );
  });

  it('rejects a param_list holding anything but <value>', () => {
    const xml =
      '<input><server_host>h</server_host><server_uri>u</server_uri><session_key>k</session_key><checkpoint_dir>d</checkpoint_dir>' +
      '<configuration><stanza name="s://a"><param_list name="m"><item>x</item></param_list></stanza></configuration></input>';
    expect(() => parseInputDefinition(xml)).to.throw(
      ModinputProtocolError,
      /<item> at line 1, column \d+ inside <param_list name="m">: only <value>/,
    );
  });
});
