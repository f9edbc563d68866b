import { expect } from 'chai';
import { parseInputDefinition } from '../../src/modinput/input-definition.js';
import { parseValidationDefinition } from '../../src/modinput/validation-definition.js';
import { canonicalXml, expectXmlEqual } from '../helpers/xml-equal.js';
import { buildInputXml, buildValidationXml } from './input-xml.js';

const META = {
  serverUri: 'https://127.0.0.1:8089',
  sessionKey: 'k&<>"',
  checkpointDir: 'C:\\Program Files\\Splunk\\var\\lib\\splunk\\modinputs\\defender_alerts',
};

describe('test harness: input-xml', () => {
  it('builds production-shaped input XML: declaration, metadata order, app=, inherited params sorted', () => {
    const xml = buildInputXml({
      ...META,
      serverHost: 'sh1',
      stanzas: [{ name: 'defender_alerts://prod', params: { tenant_id: 't', index: 'security', scopes: ['a', 'b'] } }],
    });
    expect(
      xml.startsWith(
        '<?xml version="1.0" encoding="UTF-8"?>\n<input>\n  <server_host>sh1</server_host>\n  <server_uri>',
      ),
    ).to.equal(true);
    expect(xml.indexOf('<session_key>')).to.be.lessThan(xml.indexOf('<checkpoint_dir>'));
    expect(xml.indexOf('<checkpoint_dir>')).to.be.lessThan(xml.indexOf('<configuration>'));
    const names = [...xml.matchAll(/<param(?:_list)? name="([^"]+)"/g)].map((m) => m[1]);
    expect(names).to.deep.equal(['disabled', 'host', 'index', 'interval', 'scopes', 'start_by_shell', 'tenant_id']);
    expect(parseInputDefinition(xml)).to.deep.equal({
      serverHost: 'sh1',
      ...META,
      stanzas: [
        {
          name: 'defender_alerts://prod',
          app: 'TA-microsoft-defender',
          params: {
            disabled: '0',
            host: '$decideOnStartup',
            index: 'security',
            interval: '300',
            scopes: ['a', 'b'],
            start_by_shell: 'false',
            tenant_id: 't',
          },
        },
      ],
    });
  });

  it('writes <configuration/> for no stanzas, as splunkd does right after install', () => {
    expect(buildInputXml({ ...META, stanzas: [] })).to.contain('  <configuration/>\n');
    expect(parseInputDefinition(buildInputXml({ ...META, stanzas: [] })).stanzas).to.deep.equal([]);
  });

  it('builds a validation request with only the submitted params', () => {
    const xml = buildValidationXml({
      ...META,
      item: { name: 'prod', params: { tenant_id: 'contoso.onmicrosoft.com', multi: ['a', 'b'] } },
    });
    expect(parseValidationDefinition(xml).item).to.deep.equal({
      name: 'prod',
      app: undefined,
      params: { multi: ['a', 'b'], tenant_id: 'contoso.onmicrosoft.com' },
    });
  });
});

describe('test helper: expectXmlEqual', () => {
  it('ignores attribute order, whitespace-only text, declarations, comments and CRLF', () => {
    expectXmlEqual(
      '<?xml version="1.0"?>\r\n<a y="2" x="1">\r\n  <b>t</b><!-- c -->\r\n</a>',
      '<a x="1" y="2"><b>t</b></a>',
    );
  });

  it('sees differences in text, child order, attribute values and element names', () => {
    const differs = (a: string, b: string) => canonicalXml(a) !== canonicalXml(b);
    expect(differs('<a><b>t</b></a>', '<a><b>u</b></a>')).to.equal(true);
    expect(differs('<a><b/><c/></a>', '<a><c/><b/></a>')).to.equal(true);
    expect(differs('<a x="1"/>', '<a x="2"/>')).to.equal(true);
    expect(differs('<a><b/></a>', '<a><b></b><b/></a>')).to.equal(true);
    expect(() => expectXmlEqual('<a>t</a>', '<a>u</a>')).to.throw();
  });

  it('throws on XML that is not well-formed, naming the side', () => {
    expect(() => canonicalXml('<a>', 'actual')).to.throw(/actual is not well-formed XML/);
  });
});
