/**
 * Eventtypes, tags, macros and server.conf: the knowledge objects a search, the CIM data model and a search-head
 * cluster rely on, and the names that must not collide with Splunk's Microsoft Security add-on or ES Content Update.
 */
import { expect } from 'chai';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ALERT_SOURCETYPES, knowledgeRoot, readDefaultConf } from './lib/knowledge.js';

const eventtypes = readDefaultConf('eventtypes');
const tags = readDefaultConf('tags');
const macros = readDefaultConf('macros');
const sourcetypesIn = (search: string) => [...search.matchAll(/sourcetype="([^"]+)"/g)].map((m) => m[1]);

/** Macro names other apps define: Splunk_TA_MS_Security (default/macros.conf) and ES Content Update. */
const FOREIGN_MACROS = ['defender_index', 'defender_atp_index', 'ms_defender_atp_alerts'];

describe('eventtypes, tags, macros and server.conf', () => {
  it('tags one eventtype per alert sourcetype with alert, so | datamodel Alerts finds every alert once', () => {
    const tagged = [...tags]
      .filter(([, keys]) => keys.get('alert')?.value === 'enabled')
      .map(([name]) => name.replace(/^eventtype=/, ''));
    const covered = tagged.flatMap((name) => sourcetypesIn(eventtypes.get(name)?.get('search')?.value ?? ''));
    // The stream's AlertInfo records (one category of ms:defender:eventhub) are alerts too: test/app/stream-knowledge.
    expect(covered.sort()).to.deep.equal([...Object.keys(ALERT_SOURCETYPES), 'ms:defender:eventhub'].sort());
  });

  it('has one eventtype and one macro covering all three alert sourcetypes, with an index macro admins can narrow', () => {
    expect(sourcetypesIn(eventtypes.get('defender_alerts')?.get('search')?.value ?? '').sort()).to.deep.equal(
      Object.keys(ALERT_SOURCETYPES).sort(),
    );
    expect(macros.get('ta_msdefender_alerts')?.get('definition')?.value).to.equal(
      '`ta_msdefender_index` eventtype=defender_alerts',
    );
    expect(macros.get('ta_msdefender_index')?.get('definition')?.value).to.match(/^index=/);
  });

  it("names every macro ta_msdefender_*, so none collides with Splunk_TA_MS_Security's or ES Content Update's (defect 10)", () => {
    const names = [...macros.keys()].filter((n) => n !== 'default');
    expect(names.filter((n) => !n.startsWith('ta_msdefender_'))).to.deep.equal([]);
    expect(names.filter((n) => FOREIGN_MACROS.includes(n))).to.deep.equal([]);
  });

  it('replicates every conf of its own across a search-head cluster (server.conf [shclustering], defect 11)', () => {
    const splunkConfs = new Set([
      'alert_actions',
      'app',
      'eventtypes',
      'inputs',
      'macros',
      'props',
      'restmap',
      'savedsearches',
      'server',
      'tags',
      'transforms',
      'web',
    ]);
    const own = readdirSync(join(knowledgeRoot, 'default'))
      .filter((f) => f.endsWith('.conf'))
      .map((f) => f.slice(0, -5))
      .filter((c) => !splunkConfs.has(c));
    expect(own.sort()).to.deep.equal(['ta_microsoft_defender_account', 'ta_microsoft_defender_settings']);
    const server = readDefaultConf('server');
    for (const conf of own)
      expect(server.get('shclustering')?.get(`conf_replication_include.${conf}`)?.value, conf).to.equal('true');
  });
});
