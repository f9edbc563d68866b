import { expect } from 'chai';
import { createOutbound } from '../../src/adapters/network/outbound.js';
import { USER_AGENT } from '../../src/version.js';
import { createGotHttpClient, resolveTimeouts, type GotHttpClientOptions } from '../../src/adapters/got-http-client.js';
import { ApiError, StoppedError } from '../../src/errors.js';
import type { Clock, HttpResponse, TokenProvider } from '../../src/ports.js';
import { InstantClock, MemoryLogger } from '../fakes/memory-ports.js';
import { startConnectProxy, startLocalHttps, type Handler, type LocalHttps } from '../helpers/local-https.js';
import { testTls } from '../helpers/tls.js';

const TOKEN = 'eyJ0eXAiOiJKV1QiLCJhbGciOiJub25lIn0.c2VjcmV0LXRva2VuLTE.sig1';
const TOKEN2 = 'eyJ0eXAiOiJKV1QiLCJhbGciOiJub25lIn0.c2VjcmV0LXRva2VuLTI.sig2';

function tokens(...values: string[]): TokenProvider & { calls: Array<{ forceRefresh?: boolean }> } {
  const calls: Array<{ forceRefresh?: boolean }> = [];
  return {
    calls,
    async getToken(options) {
      calls.push({ forceRefresh: options?.forceRefresh });
      return values[Math.min(calls.length - 1, values.length - 1)]!;
    },
  };
}

async function readAll(res: HttpResponse): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of res.body) chunks.push(c);
  return Buffer.concat(chunks).toString('utf8');
}

async function failure(p: Promise<unknown>): Promise<ApiError> {
  try {
    const res = await p;
    if (res && typeof res === 'object' && 'body' in res) await readAll(res as HttpResponse);
  } catch (error) {
    return error as ApiError;
  }
  throw new Error('expected a failure');
}

const json = (
  res: import('node:http').ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
};

describe('got-http-client', function () {
  let server: LocalHttps | undefined;
  let handler: Handler;
  const closers: Array<() => Promise<void>> = [];

  beforeEach(async () => {
    handler = (_req, res) => json(res, 200, { value: [] });
    server = await startLocalHttps((req, res, raw) => handler(req, res, raw));
  });
  afterEach(async () => {
    await server?.close();
    for (const c of closers.splice(0)) await c();
  });

  /** The client as production builds it, trusting the test CA (or none) and tunnelling through `proxyUrl` if given. */
  function client(over: Partial<GotHttpClientOptions> & { proxyUrl?: string; ca?: string | undefined } = {}) {
    const log = new MemoryLogger();
    const clock = new InstantClock();
    const provider = tokens(TOKEN, TOKEN2);
    const { proxyUrl, ca, ...rest } = over;
    const trusted = 'ca' in over ? ca : testTls().ca;
    const http = createGotHttpClient({
      tokenProvider: provider,
      outbound: createOutbound({ proxyUrl, ca: trusted }),
      log,
      clock,
      timeoutMs: { connectMs: 2_000, responseMs: 2_000, idleMs: 2_000 },
      retry: {
        maxRetries: 2,
        maxThrottleRetries: 3,
        baseDelayMs: 10,
        maxDelayMs: 50,
        maxRetryAfterMs: 60_000,
        budgetMs: 120_000,
      },
      random: () => 0.5,
      ...rest,
    });
    return { http, log, clock, provider };
  }
  const url = (path = '/v1.0/security/alerts_v2?$top=2') => `${server!.origin}${path}`;

  describe('success', () => {
    it('sends the bearer token, User-Agent and Accept, and streams the body', async () => {
      handler = (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"value":[');
        setTimeout(() => res.end('{"id":"a"}]}'), 20);
      };
      const { http } = client();
      const res = await http.send({ url: url() });
      expect(res.status).to.equal(200);
      expect(await readAll(res)).to.equal('{"value":[{"id":"a"}]}');
      const seen = server!.requests[0]!;
      expect(seen.headers.authorization).to.equal(`Bearer ${TOKEN}`);
      expect(seen.headers['user-agent']).to.equal(USER_AGENT);
      expect(seen.headers.accept).to.equal('application/json');
      expect(seen.headers['client-request-id']).to.match(/^[0-9a-f-]{36}$/);
      expect(seen.url).to.equal('/v1.0/security/alerts_v2?$top=2');
    });

    it('hands the body on before it has all arrived (stream mode, no buffering)', async () => {
      let finish: (() => void) | undefined;
      handler = (_req, res) => {
        res.writeHead(200);
        res.write('first-chunk');
        finish = () => res.end('last');
      };
      const { http } = client();
      const res = await http.send({ url: url() });
      const it = res.body[Symbol.asyncIterator]();
      const first = await it.next();
      expect(first.value?.toString()).to.equal('first-chunk');
      finish!();
      let rest = '';
      for (let n = await it.next(); !n.done; n = await it.next()) rest += n.value.toString();
      expect(rest).to.equal('last');
    });

    it('sends a JSON body for PATCH and passes extra headers', async () => {
      handler = (_req, res) => json(res, 200, { ok: true });
      const { http } = client();
      const res = await http.send({
        url: url('/api/alerts/1'),
        method: 'PATCH',
        json: { status: 'Resolved' },
        headers: { Prefer: 'return=minimal' },
      });
      await readAll(res);
      const seen = server!.requests[0]!;
      expect(seen.method).to.equal('PATCH');
      expect(seen.headers['content-type']).to.match(/^application\/json/);
      expect(JSON.parse(seen.body)).to.deep.equal({ status: 'Resolved' });
      expect(seen.headers.prefer).to.equal('return=minimal');
    });

    it('treats 206 as success and logs the Warning header', async () => {
      handler = (_req, res) => json(res, 206, { value: [] }, { warning: '199 - "Microsoft/MDATP/504/10000"' });
      const { http, log } = client();
      const res = await http.send({ url: url() });
      expect(res.status).to.equal(206);
      await readAll(res);
      expect(log.lines.some((l) => l.level === 'WARN' && String(l.fields?.warning).includes('MDATP/504'))).to.equal(
        true,
      );
    });

    it('works without a token provider and sends no Authorization header', async () => {
      const { http } = client({ tokenProvider: undefined });
      await readAll(await http.send({ url: url() }));
      expect(server!.requests[0]!.headers.authorization).to.equal(undefined);
    });
  });

  describe('retries before the body starts', () => {
    it('waits exactly Retry-After on 429 and logs action=throttled wait_s=', async () => {
      let n = 0;
      handler = (_req, res) =>
        n++ === 0
          ? json(
              res,
              429,
              { error: { code: 'TooManyRequests', message: 'Too many requests.' } },
              { 'retry-after': '7' },
            )
          : json(res, 200, { value: [] });
      const { http, clock, log } = client();
      await readAll(await http.send({ url: url() }));
      expect(clock.sleeps).to.deep.equal([7_000]);
      expect(server!.requests).to.have.length(2);
      const line = log.lines.find((l) => l.fields?.action === 'throttled');
      expect(line?.level).to.equal('WARN');
      expect(line?.fields).to.include({ wait_s: 7, status: 429, attempt: 1 });
    });

    it('retries a 500 then succeeds, logging status= attempt= wait_ms=', async () => {
      let n = 0;
      handler = (_req, res) =>
        n++ === 0
          ? json(res, 500, { error: { code: 'InternalServerError', message: 'oops' } })
          : json(res, 200, { value: [] });
      const { http, clock, log } = client();
      const res = await http.send({ url: url() });
      await readAll(res);
      expect(res.status).to.equal(200);
      expect(clock.sleeps).to.have.length(1);
      const line = log.lines.find((l) => l.message.includes('retrying'));
      expect(line?.fields).to.include({ status: 500, attempt: 1, wait_ms: clock.sleeps[0] });
    });

    it('retries a connection reset of a GET', async () => {
      let n = 0;
      handler = (_req, res, raw) => {
        if (n++ === 0) raw.socket.destroy();
        else json(res, 200, { value: [] });
      };
      const { http, log } = client();
      await readAll(await http.send({ url: url() }));
      expect(server!.requests).to.have.length(2);
      expect(log.lines.some((l) => l.fields?.status === 'ECONNRESET')).to.equal(true);
    });

    it('does not resend a POST after a reset, since the server may have applied it', async () => {
      handler = (_req, _res, raw) => {
        raw.socket.destroy();
      };
      const { http } = client();
      const err = await failure(
        http.send({ url: url('/api/alerts/batchUpdate'), method: 'POST', json: { ids: ['1'] } }),
      );
      expect(err).to.be.instanceOf(ApiError);
      expect(err.code).to.equal('api_network');
      expect(server!.requests).to.have.length(1);
    });

    it('gives up after maxRetries with api_server_error, the status and the request id', async () => {
      handler = (_req, res) =>
        json(res, 503, {
          error: { code: 'ServiceUnavailable', message: 'Try later', innerError: { 'request-id': 'req-503' } },
        });
      const { http } = client();
      const err = await failure(http.send({ url: url() }));
      expect(err).to.include({ code: 'api_server_error', status: 503, requestId: 'req-503' });
      expect(err.message).to.include('Try later').and.include('after 3 attempts');
      expect(server!.requests).to.have.length(3);
    });

    it('fails as throttled without waiting when Retry-After is beyond the cap', async () => {
      handler = (_req, res) =>
        json(
          res,
          429,
          {
            error: {
              code: '429',
              message: 'API calls quota exceeded! maximum allowed 100 per 00:01:00',
              target: 'corr-xyz',
            },
          },
          { 'retry-after': '3600' },
        );
      const { http, clock } = client();
      const err = await failure(http.send({ url: url('/api/alerts') }));
      expect(err).to.include({ code: 'api_throttled', status: 429, requestId: 'corr-xyz' });
      expect(err.message).to.include('wait 3600 s');
      expect(clock.sleeps).to.deep.equal([]);
    });

    it('times out waiting for headers, retries, then fails with api_timeout', async () => {
      handler = () => {
        /* never answers */
      };
      const { http } = client({
        timeoutMs: { connectMs: 500, responseMs: 150, idleMs: 500 },
        retry: { maxRetries: 1, baseDelayMs: 1, maxDelayMs: 1 },
      });
      const err = await failure(http.send({ url: url() }));
      expect(err.code).to.equal('api_timeout');
      expect(server!.requests).to.have.length(2);
    });
  });

  describe('failures in the body', () => {
    it('fails the body iteration when the body stalls past the idle timeout', async () => {
      handler = (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"value":[');
      };
      const { http } = client({ timeoutMs: { connectMs: 1_000, responseMs: 1_000, idleMs: 150 } });
      const res = await http.send({ url: url() });
      const err = await failure(readAll(res));
      expect(err).to.be.instanceOf(ApiError);
      expect(err.code).to.equal('api_timeout');
      expect(err.url).to.equal(`${server!.origin}/v1.0/security/alerts_v2`);
    });

    it('does not count time the consumer spends between chunks as idle', async () => {
      handler = (_req, res) => {
        res.writeHead(200);
        res.write('a');
        setTimeout(() => res.end('b'), 10);
      };
      const { http } = client({ timeoutMs: { connectMs: 1_000, responseMs: 1_000, idleMs: 150 } });
      const res = await http.send({ url: url() });
      let text = '';
      for await (const c of res.body) {
        text += c.toString();
        await new Promise((r) => setTimeout(r, 300));
      }
      expect(text).to.equal('ab');
    });

    it('fails the body iteration on a truncated body', async () => {
      handler = (_req, res) => {
        res.writeHead(200, { 'content-length': '1000' });
        res.write('{"value":[{"id":');
        setTimeout(() => res.socket?.destroy(), 20);
      };
      const { http } = client();
      const res = await http.send({ url: url() });
      const err = await failure(readAll(res));
      expect(err).to.be.instanceOf(ApiError);
      expect(err.code).to.equal('api_network');
    });
  });

  describe('401 and tokens', () => {
    it('gets a fresh token once on 401 and retries with it', async () => {
      handler = (req, res) =>
        req.headers.authorization === `Bearer ${TOKEN2}`
          ? json(res, 200, { value: [] })
          : json(res, 401, {
              error: { code: 'InvalidAuthenticationToken', message: 'Access token has expired or is not yet valid.' },
            });
      const { http, provider } = client();
      const res = await http.send({ url: url() });
      await readAll(res);
      expect(provider.calls).to.deep.equal([{ forceRefresh: false }, { forceRefresh: true }]);
    });

    it('believes a second 401: api_unauthorized, with no more refreshes', async () => {
      handler = (_req, res) => json(res, 401, { error: { code: 'Unauthorized', message: 'Invalid token' } });
      const { http, provider } = client();
      const err = await failure(http.send({ url: url() }));
      expect(err).to.include({ code: 'api_unauthorized', status: 401 });
      expect(provider.calls).to.have.length(2);
    });

    it('never puts the token in an error or a log line, even when the server echoes it', async () => {
      handler = (req, res) =>
        json(res, 400, { error: { code: 'BadRequest', message: `Bad header ${req.headers.authorization}` } });
      const { http, log } = client();
      const err = await failure(http.send({ url: url() }));
      expect(err.code).to.equal('api_bad_request');
      expect(err.message).to.include('Bad header Bearer ***');
      for (const text of [err.message, String(err.stack), log.text()]) {
        expect(text).not.to.include(TOKEN);
        expect(text).not.to.include(TOKEN2);
      }
    });
  });

  describe('error mapping', () => {
    it('maps 403 to api_forbidden naming the permission to grant', async () => {
      handler = (_req, res) =>
        json(res, 403, {
          error: {
            code: 'Forbidden',
            message: 'Missing role permissions on the request.',
            innerError: { 'request-id': 'rid-403' },
          },
        });
      const { http } = client();
      const err = await failure(http.send({ url: url() }));
      expect(err).to.include({ code: 'api_forbidden', status: 403, requestId: 'rid-403' });
      expect(err.message)
        .to.include('Missing role permissions')
        .and.include('SecurityAlert.Read.All')
        .and.include('Grant admin consent');
      expect(err.url).to.equal(`${server!.origin}/v1.0/security/alerts_v2`);
    });

    it('uses the api option to tell the SIEM exporter from MDE on /api/alerts', async () => {
      handler = (_req, res) => json(res, 403, { error: { code: 'Forbidden', message: 'no' } });
      const { http } = client({ api: 'siem' });
      expect((await failure(http.send({ url: url('/api/alerts') }))).message).to.include('SIEM integration');
    });

    it('maps 400 to api_bad_request with Microsoft message on one line', async () => {
      handler = (_req, res) =>
        json(res, 400, { error: { code: 'InvalidRequestBody', message: 'Bad\r\nfilter', target: 'tgt-1' } });
      const { http } = client();
      const err = await failure(http.send({ url: url('/api/alerts') }));
      expect(err).to.include({ code: 'api_bad_request', status: 400, requestId: 'tgt-1' });
      expect(err.message)
        .to.include('Bad filter')
        .and.not.match(/[\r\n]/);
    });

    it('maps 404 to api_not_found, and takes the request-id header first', async () => {
      handler = (_req, res) =>
        json(res, 404, { error: { code: 'NotFound', message: 'Alert 9 was not found' } }, { 'request-id': 'hdr-rid' });
      const err = await failure(client().http.send({ url: url('/api/alerts/9') }));
      expect(err).to.include({ code: 'api_not_found', requestId: 'hdr-rid' });
    });

    it('bounds a huge non-JSON error body to a short single-line message', async () => {
      handler = (_req, res) => {
        res.writeHead(400, { 'content-type': 'text/html' });
        res.end(`<html>\n${'x'.repeat(500_000)}</html>`);
      };
      const err = await failure(client().http.send({ url: url() }));
      expect(err.code).to.equal('api_bad_request');
      expect(err.message.length).to.be.lessThan(600);
      expect(err.message).not.to.match(/\n/);
    });

    it('fails fast with api_tls when the server certificate is not trusted', async () => {
      const { http } = client({ ca: undefined });
      const err = await failure(http.send({ url: url() }));
      expect(err.code).to.equal('api_tls');
      expect(server!.requests).to.have.length(0);
    });

    it('stops with StoppedError when the signal is aborted during a wait', async () => {
      handler = (_req, res) => json(res, 503, {});
      const controller = new AbortController();
      const clock: Clock = {
        nowMs: () => Date.now(),
        sleep: async () => {
          controller.abort();
          throw new Error('aborted');
        },
      };
      const err = await failure(client({ clock }).http.send({ url: url(), signal: controller.signal }));
      expect(err).to.be.instanceOf(StoppedError);
    });
  });

  describe('timeouts option', () => {
    it('reads one number as the response and idle limit, keeping connect at most its default', () => {
      expect(resolveTimeouts(30_000)).to.deep.equal({ connectMs: 10_000, responseMs: 30_000, idleMs: 30_000 });
      expect(resolveTimeouts(2_000)).to.deep.equal({ connectMs: 2_000, responseMs: 2_000, idleMs: 2_000 });
      expect(resolveTimeouts({ idleMs: 5 })).to.deep.equal({ connectMs: 10_000, responseMs: 60_000, idleMs: 5 });
    });
  });

  describe('proxy', () => {
    it('tunnels API calls through proxy_url with credentials, and never logs the password', async () => {
      const proxy = await startConnectProxy({ user: 'svc', pass: 'pr0xy-S3cret' });
      closers.push(proxy.close);
      let n = 0;
      handler = (_req, res) => (n++ === 0 ? json(res, 500, {}) : json(res, 200, { value: [] }));
      const { http, log } = client({ proxyUrl: proxy.url });
      await readAll(await http.send({ url: url() }));
      expect(proxy.tunnels).to.include(server!.hostPort);
      expect(server!.requests).to.have.length(2);
      expect(log.text()).not.to.include('pr0xy-S3cret');
    });

    it('explains a 407 from the proxy without the password, and does not retry it', async () => {
      const proxy = await startConnectProxy({ user: 'svc', pass: 'right-pass' });
      closers.push(proxy.close);
      const wrong = proxy.url.replace('right-pass', 'wr0ng-S3cret');
      const { http, log } = client({ proxyUrl: wrong });
      const err = await failure(http.send({ url: url() }));
      expect(err.code).to.equal('proxy_refused');
      expect(err.message).to.include('407').and.include('user and password in proxy_url');
      expect(proxy.refused).to.equal(1);
      for (const text of [err.message, String(err.stack), log.text()]) expect(text).not.to.include('wr0ng-S3cret');
    });
  });
});
