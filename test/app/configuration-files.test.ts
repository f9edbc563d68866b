/**
 * The Configuration page's Splunk files agree with each other and with the code: navigation → view → template →
 * bundle; restmap.conf endpoints ↔ web.conf exposures ↔ the driver's routes; the account conf's spec, trigger and
 * replication.
 */
import { expect } from 'chai';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConf, type Conf } from '../../src/config/app-settings.js';
import { ACCOUNT_KEYS } from '../../src/config/accounts.js';
import { ACCOUNT_CHECK_MATCH, SECRET_MATCH } from '../../src/rest/config-endpoints.js';
import { REPO_ROOT } from '../helpers/built-app.js';

function conf(path: string): Conf {
  return parseConf({ file: path, text: readFileSync(join(REPO_ROOT, path), 'utf8') });
}

describe('Configuration page files', () => {
  it('navigation opens the configuration view, whose template is plain HTML loading the page bundle', () => {
    expect(readFileSync(join(REPO_ROOT, 'default/data/ui/nav/default.xml'), 'utf8')).to.contain(
      '<view name="configuration" />',
    );
    const view = readFileSync(join(REPO_ROOT, 'default/data/ui/views/configuration.xml'), 'utf8');
    const template = /template="TA-microsoft-defender:\/templates\/([^"]+)"/.exec(view)?.[1];
    expect(template).to.equal('configuration.html');
    const html = readFileSync(join(REPO_ROOT, 'app/templates', template!), 'utf8');
    expect(html, 'no Mako code (AppInspect check_for_existence_of_python_code_block_in_mako_template)').to.not.match(
      /<%|\$\{/,
    );
    expect(html).to.contain('src="../../static/app/TA-microsoft-defender/configuration.js"');
    expect(html).to.contain('href="../../static/app/TA-microsoft-defender/configuration.css"');
    expect(existsSync(join(REPO_ROOT, 'app/static/configuration.css'))).to.equal(true);
  });

  it('every persistent endpoint is exposed to Splunk Web, needs admin_all_objects, and is routed by the driver', () => {
    const restmap = conf('default/restmap.conf');
    const web = conf('default/web.conf');
    const scripts = [...restmap].filter(([name]) => name.startsWith('script:'));
    expect(scripts.map(([, keys]) => keys.get('match')?.value).sort()).to.deep.equal(
      [ACCOUNT_CHECK_MATCH, SECRET_MATCH].sort(),
    );
    const exposed = [...web]
      .filter(([name]) => name.startsWith('expose:'))
      .map(([, keys]) => `/${keys.get('pattern')?.value}`);
    for (const [name, keys] of scripts) {
      expect(exposed, name).to.include(keys.get('match')?.value);
      expect(keys.get('scripttype')?.value, name).to.equal('persist');
      expect(keys.get('capability')?.value, name).to.equal('admin_all_objects');
      expect(keys.get('driver')?.value, name).to.equal(
        '$SPLUNK_HOME/etc/apps/TA-microsoft-defender/bin/defender_check.sh',
      );
    }
    expect(
      existsSync(join(REPO_ROOT, 'src/bin/defender_check.ts')),
      'build.mjs makes bin/defender_check.sh from this entry',
    ).to.equal(true);
  });

  it('the account conf has its spec (every key), a reload trigger, SHC replication and metadata', () => {
    const spec = readFileSync(join(REPO_ROOT, 'README/ta_microsoft_defender_account.conf.spec'), 'utf8');
    for (const key of ACCOUNT_KEYS) expect(spec).to.match(new RegExp(`^${key} = <string>$`, 'm'));
    expect(spec).to.contain('username = account#<name>');
    expect(conf('default/app.conf').get('triggers')?.get('reload.ta_microsoft_defender_account')?.value).to.equal(
      'simple',
    );
    expect(
      conf('default/server.conf').get('shclustering')?.get('conf_replication_include.ta_microsoft_defender_account')
        ?.value,
    ).to.equal('true');
    expect(conf('app/metadata/default.meta').get('ta_microsoft_defender_account')?.get('access')?.value).to.equal(
      'read : [ * ], write : [ admin, sc_admin ]',
    );
  });
});
