/** The page's pure helpers, in Node: where it finds Splunk Web and the form key, and the Proxy form's rules. */
import { expect } from 'chai';
import { proxyUrlWithCredentials } from '../../src/config/app-settings.js';
import { proxyProblems } from '../../src/web/configuration/proxy-tab.js';
import { explain, formKey, webPrefix } from '../../src/web/configuration/splunk-web.js';

describe('Configuration page helpers', () => {
  it('reaches Splunk Web under its root path and locale, from $C or else from the page URL', () => {
    expect(webPrefix({ LOCALE: 'de-DE', MRSPARKLE_ROOT_PATH: '/splunk/' }, '/x')).to.equal('/splunk/de-DE');
    expect(webPrefix(undefined, '/splunk/fr-FR/app/TA-microsoft-defender/configuration')).to.equal('/splunk/fr-FR');
    expect(webPrefix(undefined, '/weird')).to.equal('/en-US');
  });

  it("reads the form key from the CSRF cookie of Splunk Web's own port, as Splunk's pages do", () => {
    const cookies = 'splunkweb_csrf_token_8443=other; splunkd_8000=s; splunkweb_csrf_token_8000=12%3D34';
    expect(formKey({ MRSPARKLE_PORT_NUMBER: 8000 }, cookies)).to.equal('12=34');
    expect(formKey(undefined, cookies)).to.equal('other');
    expect(formKey({ MRSPARKLE_PORT_NUMBER: 9 }, 'x=1')).to.equal('');
  });

  it('explains 401 and 403 with what to do', () => {
    expect(explain(401, undefined, 'save x')).to.match(/sign in to Splunk Web again/);
    expect(explain(403, { messages: [{ type: 'ERROR', text: 'no' }] }, 'save x')).to.match(
      /: no\. .*admin_all_objects/,
    );
  });

  it('proxy form: the proxy_url rule, no user-info in the URL, user and password only with a URL', () => {
    expect(proxyProblems('', '', '')).to.deep.equal([]);
    expect(proxyProblems('http://proxy.example.com:3128', 'svc', 'pw')).to.deep.equal([]);
    expect(proxyProblems('http://proxy.example.com', '', '')[0]?.message).to.match(
      /^proxy_url "http:\/\/proxy.example.com" is not a proxy URL: use http:\/\/host:port/,
    );
    const inline = proxyProblems('http://u:Sup3rSecret@proxy:1', '', '');
    expect(inline[0]?.field).to.equal('proxy_url');
    expect(inline[0]?.message).to.not.contain('Sup3rSecret');
    expect(proxyProblems('', 'svc', '').map((p) => p.field)).to.deep.equal(['proxy_url']);
    expect(proxyProblems('http://p:1', '', 'pw').map((p) => p.field)).to.deep.equal(['proxy_username']);
  });

  it("the runtime adds the page's proxy user and stored password to the URL, percent-encoded", () => {
    expect(proxyUrlWithCredentials('http://proxy:3128', 'svc@corp', 'p:w/d')).to.equal(
      'http://svc%40corp:p%3Aw%2Fd@proxy:3128',
    );
    expect(proxyUrlWithCredentials('http://proxy:3128', undefined, 'x')).to.equal('http://proxy:3128');
    expect(proxyUrlWithCredentials('http://own:pw@proxy:3128', 'svc', 'x')).to.equal('http://own:pw@proxy:3128');
  });
});
