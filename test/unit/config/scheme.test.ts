import { expect } from 'chai';
import { buildScheme } from '../../../src/config/scheme.js';
import { INPUT_ARGUMENTS, SPLUNK_PARAMS } from '../../../src/config/arguments.js';
import { formatScheme } from '../../../src/modinput/scheme.js';

/** Contract §2.1, copied by hand: name → required on create. */
/**
 * Whether each argument is required on create. tenant_id, client_id and client_secret are required unless the stanza
 * names an account (resolve.ts checks that), so Splunk Web must not require them on its own.
 */
const CONTRACT_ARGS: Record<string, boolean> = {
  account: false,
  tenant_id: false,
  client_id: false,
  client_secret: false,
  api: false,
  region: false,
  start_time: false,
  overlap_seconds: false,
  filter: false,
  api_url: false,
  login_url: false,
  proxy_url: false,
  replay_from: false,
  include_alerts: false,
};

describe('config/scheme', () => {
  it('declares the flags the contract fixes: external validation, one instance per stanza, xml streaming', () => {
    const scheme = buildScheme();
    expect(scheme.title).to.equal('Microsoft Defender alerts');
    expect(scheme.description).to.be.a('string').and.not.equal('');
    expect(scheme.useExternalValidation).to.equal(true);
    expect(scheme.useSingleInstance).to.equal(false);
    expect(scheme.streamingMode).to.equal('xml');
  });

  it('warns on the inputs page that an input enabled on a search-head cluster runs on every member', () => {
    expect(buildScheme().description).to.match(/search-head cluster runs on every member/);
  });

  it('declares every contract argument, and only those, each with a title and a description', () => {
    const args = buildScheme().args;
    expect(args.map((arg) => arg.name).sort()).to.deep.equal(Object.keys(CONTRACT_ARGS).sort());
    for (const arg of args) {
      expect(arg.title.trim(), `${arg.name} title`).to.not.equal('');
      expect(arg.description.trim().length, `${arg.name} description`).to.be.greaterThan(20);
    }
  });

  it('requires tenant_id, client_id and client_secret on create only, and nothing on edit', () => {
    for (const arg of buildScheme().args) {
      expect(arg.requiredOnCreate, arg.name).to.equal(CONTRACT_ARGS[arg.name]);
      // Edits need not repeat the secret (inputs.conf holds the mask) nor any other value.
      expect(arg.requiredOnEdit, arg.name).to.equal(false);
    }
  });

  it("uses names splunkd accepts and that do not shadow Splunk's own settings", () => {
    for (const arg of buildScheme().args) {
      expect(arg.name).to.match(/^[0-9a-zA-Z][0-9a-zA-Z_-]*$/);
      expect(SPLUNK_PARAMS.has(arg.name), arg.name).to.equal(false);
    }
  });

  it('states each default in the description Splunk Web shows', () => {
    for (const arg of INPUT_ARGUMENTS) {
      if (arg.defaultValue !== undefined) expect(arg.description, arg.name).to.include(`Default: ${arg.defaultValue}.`);
    }
  });

  it('keeps the table private: the scheme carries no defaultValue and editing it leaves the table alone', () => {
    const scheme = buildScheme();
    for (const arg of scheme.args) expect(arg).to.not.have.property('defaultValue');
    scheme.args[0]!.title = 'changed';
    expect(buildScheme().args[0]!.title).to.equal('Account');
  });

  it('formats as scheme XML with every argument (through modinput/scheme)', () => {
    const xml = formatScheme(buildScheme());
    for (const name of Object.keys(CONTRACT_ARGS)) expect(xml).to.include(`<arg name="${name}">`);
    expect(xml).to.include('<streaming_mode>xml</streaming_mode>');
    // The client_secret description mentions <encrypted>: it must go out escaped.
    expect(xml).to.include('&lt;encrypted&gt;');
  });
});
