import { expect } from 'chai';
import { request } from 'node:https';
import { testTls } from '../helpers/tls.js';
import { startFakeSplunkd, type FakeSplunkd } from './fake-splunkd.js';

const KEY = 'fake-session-key';
const NS = '/servicesNS/nobody/TA-microsoft-defender';

interface Answer {
  status: number;
  contentType: string;
  body: string;
  json: {
    entry?: Array<{ name: string; content: Record<string, unknown> }>;
    messages?: Array<{ type: string; text: string }>;
  };
}

/** One raw https request to the fake, trusting the test CA (so the fake's TLS is checked too). */
function call(
  fake: FakeSplunkd,
  method: string,
  path: string,
  options: { form?: Record<string, string>; key?: string | null } = {},
): Promise<Answer> {
  const body = options.form ? new URLSearchParams(options.form).toString() : '';
  const key = options.key === undefined ? KEY : options.key;
  return new Promise((resolve, reject) => {
    const req = request(
      `${fake.uri}${path}`,
      {
        method,
        ca: testTls().ca,
        headers: {
          ...(key === null ? {} : { authorization: `Splunk ${key}` }),
          'content-type': 'application/x-www-form-urlencoded',
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const contentType = String(res.headers['content-type']);
          resolve({
            status: res.statusCode ?? 0,
            contentType,
            body: text,
            json: contentType.startsWith('application/json') ? JSON.parse(text) : {},
          });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('fake splunkd', () => {
  let fake: FakeSplunkd;
  beforeEach(async () => {
    fake = await startFakeSplunkd({ sessionKey: KEY });
  });
  afterEach(() => fake.close());

  it('listens with https on 127.0.0.1 with a certificate the test CA signs', async () => {
    expect(fake.uri).to.match(/^https:\/\/127\.0\.0\.1:\d+$/);
    // call() verifies the certificate against the test CA (rejectUnauthorized stays on).
    expect((await call(fake, 'GET', `${NS}/storage/passwords?output_mode=json`)).status).to.equal(200);
  });

  it('answers 401 without the right Splunk session key, and records the attempt', async () => {
    for (const key of [null, 'wrong']) {
      const answer = await call(fake, 'GET', `${NS}/storage/passwords?output_mode=json`, { key });
      expect(answer.status).to.equal(401);
      expect(answer.json.messages?.[0]?.text).to.equal('call not properly authenticated');
    }
    expect(fake.requests.map((r) => r.authorized)).to.deep.equal([false, false]);
  });

  it('creates a password (201), refuses a duplicate (409), reads, updates and deletes it like splunkd', async () => {
    const created = await call(fake, 'POST', `${NS}/storage/passwords?output_mode=json`, {
      form: { name: 'prod', password: 'p1', realm: 'r' },
    });
    expect(created.status).to.equal(201);
    expect(created.json.entry?.[0]?.name).to.equal('r:prod:');

    const duplicate = await call(fake, 'POST', `${NS}/storage/passwords?output_mode=json`, {
      form: { name: 'prod', password: 'p2', realm: 'r' },
    });
    expect(duplicate.status).to.equal(409);
    expect(duplicate.json.messages?.[0]?.text).to.include('already exists');

    const read = await call(fake, 'GET', `${NS}/storage/passwords/r:prod:?output_mode=json`);
    expect(read.status).to.equal(200);
    expect(read.json.entry?.[0]?.content).to.include({ clear_password: 'p1', realm: 'r', username: 'prod' });

    expect(
      (await call(fake, 'POST', `${NS}/storage/passwords/r:prod:?output_mode=json`, { form: { password: 'p3' } }))
        .status,
    ).to.equal(200);
    expect(fake.passwords.get('r:prod:')?.password).to.equal('p3');

    expect((await call(fake, 'DELETE', `${NS}/storage/passwords/r:prod:?output_mode=json`)).status).to.equal(200);
    expect(fake.passwords.size).to.equal(0);
  });

  it('answers 404 for an unknown password entry and an unknown endpoint', async () => {
    expect((await call(fake, 'GET', `${NS}/storage/passwords/r:nobody:?output_mode=json`)).status).to.equal(404);
    expect(
      (await call(fake, 'POST', `${NS}/storage/passwords/r:nobody:?output_mode=json`, { form: { password: 'x' } }))
        .status,
    ).to.equal(404);
    expect((await call(fake, 'GET', '/services/server/info?output_mode=json')).status).to.equal(404);
  });

  it('decodes URL-encoded entry and input names', async () => {
    fake.passwords.set('r/x:a/b:', { realm: 'r/x', username: 'a/b', password: 'p', app: 'TA-microsoft-defender' });
    const read = await call(fake, 'GET', `${NS}/storage/passwords/r%2Fx:a%2Fb:?output_mode=json`);
    expect(read.json.entry?.[0]?.content.clear_password).to.equal('p');
    await call(fake, 'POST', '/servicesNS/nobody/search/data/inputs/defender_alerts/eu%2Fprod?output_mode=json', {
      form: { client_secret: '********' },
    });
    expect(fake.inputUpdates).to.deep.equal([
      { scheme: 'defender_alerts', name: 'eu/prod', app: 'search', params: { client_secret: '********' } },
    ]);
  });

  it('answers 404 for a stanza it does not know when told which inputs exist', async () => {
    await fake.close();
    fake = await startFakeSplunkd({ sessionKey: KEY, inputs: ['defender_alerts://prod'] });
    const path = '/servicesNS/nobody/search/data/inputs/defender_alerts';
    expect(
      (await call(fake, 'POST', `${path}/other?output_mode=json`, { form: { client_secret: 'x' } })).status,
    ).to.equal(404);
    expect(
      (await call(fake, 'POST', `${path}/prod?output_mode=json`, { form: { client_secret: 'x' } })).status,
    ).to.equal(200);
    expect(fake.inputUpdates.map((u) => u.name)).to.deep.equal(['prod']);
  });

  it('records receivers/simple events with their query and raw body', async () => {
    const answer = await call(fake, 'POST', '/services/receivers/simple?sourcetype=st&index=main&output_mode=json', {});
    expect(answer.status).to.equal(200);
    expect(fake.events).to.deep.equal([{ query: { sourcetype: 'st', index: 'main' }, body: '' }]);
  });

  it('answers XML, not JSON, without output_mode=json', async () => {
    const answer = await call(fake, 'GET', `${NS}/storage/passwords`);
    expect(answer.contentType).to.match(/^text\/xml/);
    expect(answer.body).to.include('<feed');
  });

  it('drops connections while down and serves again once up', async () => {
    fake.setDown(true);
    const error = await call(fake, 'GET', `${NS}/storage/passwords?output_mode=json`).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).to.be.instanceOf(Error);
    fake.setDown(false);
    expect((await call(fake, 'GET', `${NS}/storage/passwords?output_mode=json`)).status).to.equal(200);
  });
});
