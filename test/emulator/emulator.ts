/**
 * A local stand-in for Entra ID, Microsoft Graph security, the Defender for Endpoint API and the legacy SIEM
 * exporter, over real TLS (test/helpers/tls.ts), one listener per service because MDE and SIEM share `/api/alerts`.
 * It behaves as Microsoft documents, awkward parts included; what Microsoft leaves open is a switch in `settings`.
 *
 *   const emu = await startEmulator();
 *   emu.addApp({ tenantId, clientId, secret, roles: ['SecurityAlert.Read.All'] });
 *   emu.store.addAlerts('graph', generateAlerts('graph', { count: 500, seed: 1, from, to }));
 *   // point the add-on at emu.urls.login / emu.urls.graph, trust emu.caFile (NODE_EXTRA_CA_CERTS)
 *   await emu.close();
 */
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { testTls } from '../helpers/tls.js';
import { apiErrorReply, serviceErrorReply } from './api-errors.js';
import { DEFAULT_SETTINGS, type EmulatorContext, type EmulatorSettings } from './context.js';
import { Directory, handleLogin, type AppRegistration } from './entra.js';
import { FaultPlan, type FaultSpec } from './faults.js';
import { getGraphAlert, listGraphAlerts } from './graph-alerts.js';
import { addIncidentComment, getGraphIncident, listGraphIncidents, patchGraphIncident } from './graph-incidents.js';
import { addGraphComment, patchGraphAlert } from './graph-write.js';
import { newRequestId, writeReply, type BodyFault, type Reply, type RequestContext, type Service } from './http-io.js';
import { handleIndicators, IndicatorStore } from './indicators.js';
import { getMdeAlert, listMdeAlerts } from './mde-alerts.js';
import { batchUpdateMdeAlerts, patchMdeAlert } from './mde-write.js';
import { BodyPacer, checkLatency, latencyApiOf, type LatencyModel } from './latency.js';
import { RateLimiter, type RateFamily, type RateLimits } from './rate-limit.js';
import { listSiemAlerts } from './siem-alerts.js';
import { AlertStore, type AlertApi, type ServedVersion } from './store.js';

export type { AppRegistration } from './entra.js';
export type { FaultKind, FaultSpec } from './faults.js';
export type { RateFamily, RateLimits, RateWindow } from './rate-limit.js';
export type { Latency, LatencyApi, LatencyModel } from './latency.js';
export type { AlertApi, ServedVersion } from './store.js';
export { serviceOf } from './alert-shapes.js';
export type { EmulatorSettings } from './context.js';

/** Options of startEmulator: any setting, plus the clock, token lifetime and quotas. */
export interface EmulatorOptions extends Partial<EmulatorSettings> {
  /** The emulator's clock in epoch ms (token expiry, rate windows, SIEM "now", update times). Default Date.now. */
  now?: () => number;
  /** `expires_in` of issued tokens, seconds. Default 3599. */
  tokenLifetimeSeconds?: number;
  /** Quotas per endpoint family; default the documented ones; `false` turns throttling off. */
  rateLimits?: RateLimits;
  /**
   * Time to first byte and bandwidth cap per api (graph, mde, siem, incidents); default none (instant). Paced on the
   * real clock, whatever `now` says: the waits are real timers.
   */
  latency?: LatencyModel;
  /** Fixed ports per service (demo, CLI); default 0, chosen by the OS. */
  ports?: Partial<Record<Service, number>>;
  /**
   * Called once per request that gets a reply; a returned function receives every body chunk as it is written (the
   * benchmarks record the exact response bytes this way, to replay them to their no-HTTP baseline).
   */
  tapBody?: (record: RequestRecord) => ((chunk: Buffer) => void) | undefined;
}

/** One request as the emulator saw it (Authorization redacted; bodies not kept, they may hold secrets). */
export interface RequestRecord {
  service: Service;
  method: string;
  path: string;
  /** Decoded query parameters (the last value of a repeated key). */
  query: Record<string, string>;
  /** Selected headers, lower-case names; `authorization` shows only its scheme. */
  headers: Record<string, string>;
  /** The response status, or 'reset' when the socket was destroyed; 0 until the response starts. */
  status: number | 'reset';
  /** When the request arrived, in ms on the emulator's performance clock (benchmarks draw timelines from it). */
  arrivedMs: number;
}

/** A running emulator. */
export interface Emulator {
  urls: Record<Service, string>;
  /** PEM file of the test CA (NODE_EXTRA_CA_CERTS for child processes). */
  caFile: string;
  /** PEM text of the test CA (`ca` option in-process). */
  ca: string;
  settings: EmulatorSettings;
  store: AlertStore;
  directory: Directory;
  indicators: IndicatorStore;
  faults: FaultPlan;
  requests: RequestRecord[];
  /** Calls to `/common/discovery/instance` (msal's instance discovery). */
  readonly instanceDiscoveryCalls: number;
  addApp(app: AppRegistration): void;
  setTokenLifetime(seconds: number): void;
  addFault(spec: FaultSpec): void;
  setRateLimits(limits: RateLimits): void;
  /** Replaces the latency model (requests already waiting keep theirs). */
  setLatency(model: LatencyModel): void;
  /** 429s answered so far for exceeded quotas, per endpoint family (injected faults not counted). */
  throttled(): Partial<Record<RateFamily, number>>;
  /** The multiset of versions served by list responses delivered whole. */
  served(api: AlertApi): ServedVersion[];
  /** The multiset of alert versions served inside incidents by list responses delivered whole. */
  servedIncidentAlerts(): ServedVersion[];
  close(): Promise<void>;
}

const LOGGED_HEADERS = [
  'user-agent',
  'prefer',
  'content-type',
  'accept',
  'accept-encoding',
  'client-request-id',
  'host',
  'via',
  'x-forwarded-for',
  'connection',
];
const MAX_BODY = 16 * 1024 * 1024;

function redactAuthorization(value: string): string {
  const scheme = value.split(/\s+/)[0] ?? '';
  return `${scheme} <redacted>`;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new Error('request body too large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

const HTML_PAGE =
  '<!DOCTYPE html><html><head><title>Sign in to continue</title></head><body><h1>Network access requires sign-in</h1><p>This is not JSON.</p></body></html>';

/** Starts the four listeners on 127.0.0.1 (ports chosen by the OS). */
export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const {
    now: clock,
    tokenLifetimeSeconds,
    rateLimits,
    latency: latencyOption,
    ports,
    tapBody,
    ...overrides
  } = options;
  let latency = checkLatency(latencyOption ?? {});
  const now = clock ?? (() => Date.now());
  const settings: EmulatorSettings = { ...DEFAULT_SETTINGS, ...overrides };
  const directory = new Directory(now);
  if (tokenLifetimeSeconds !== undefined) directory.tokenLifetimeSeconds = tokenLifetimeSeconds;
  const store = new AlertStore(now);
  const indicators = new IndicatorStore(now);
  const limiter = new RateLimiter(rateLimits, now);
  const env: EmulatorContext = { settings, directory, store, indicators, limiter, now };
  const faults = new FaultPlan();
  const requests: RequestRecord[] = [];
  const tls = testTls();

  const timers = new Map<NodeJS.Timeout, () => void>();
  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        resolve();
      }, ms);
      timers.set(timer, resolve);
    });

  const urls = {} as Record<Service, string>;

  const handle = async (service: Service, req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', urls[service]);
    const headers: Record<string, string> = {};
    for (const name of LOGGED_HEADERS) {
      const v = req.headers[name];
      if (v !== undefined) headers[name] = Array.isArray(v) ? v.join(', ') : v;
    }
    if (req.headers.authorization !== undefined) headers.authorization = redactAuthorization(req.headers.authorization);
    const record: RequestRecord = {
      service,
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers,
      status: 0,
      arrivedMs: performance.now(),
    };
    requests.push(record);
    const latencyApi = latencyApiOf(service, url.pathname);
    // Counted from the request's arrival, as a client sees its time to first byte.
    const pacer = new BodyPacer(latencyApi === undefined ? undefined : latency[latencyApi], () => performance.now());

    let body: Buffer;
    try {
      body = await readBody(req);
    } catch {
      record.status = 'reset';
      return;
    }
    const ctx: RequestContext = {
      service,
      method: record.method,
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      body,
      baseUrl: urls[service],
      requestId: newRequestId(),
    };
    const fault = faults.take(service, ctx.method, ctx.path);
    if (fault === 'reset') {
      record.status = 'reset';
      req.socket.destroy();
      return;
    }
    let reply: Reply;
    let bodyFault: BodyFault | undefined;
    if (fault === 'html') {
      reply = { status: 200, headers: { 'content-type': 'text/html; charset=utf-8' }, body: HTML_PAGE };
    } else if (fault !== undefined && 'status' in fault) {
      const extra: Record<string, string> =
        fault.retryAfter !== undefined ? { 'retry-after': String(fault.retryAfter) } : {};
      reply = serviceErrorReply(ctx, fault.status, `Injected fault: HTTP ${fault.status}.`, extra);
    } else {
      bodyFault = fault;
      try {
        reply = route(ctx, env);
      } catch (err) {
        reply = serviceErrorReply(ctx, 500, `Emulator error: ${(err as Error).message}`);
      }
    }
    record.status = reply.status;
    await writeReply(res, reply, bodyFault, sleep, tapBody?.(record), pacer);
  };

  const servers: Server[] = [];
  for (const service of ['login', 'graph', 'mde', 'siem'] as const) {
    const server = createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
      handle(service, req, res).catch(() => res.destroy());
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(ports?.[service] ?? 0, '127.0.0.1', () => resolve());
    });
    urls[service] = `https://localhost:${(server.address() as AddressInfo).port}`;
    servers.push(server);
  }

  return {
    urls,
    caFile: tls.caFile,
    ca: tls.ca,
    settings,
    store,
    directory,
    indicators,
    faults,
    requests,
    get instanceDiscoveryCalls() {
      return directory.instanceDiscoveryCalls;
    },
    addApp: (app) => directory.addApp(app),
    setTokenLifetime: (seconds) => {
      directory.tokenLifetimeSeconds = seconds;
    },
    addFault: (spec) => faults.add(spec),
    setRateLimits: (limits) => limiter.configure(limits),
    setLatency: (model) => {
      latency = checkLatency(model);
    },
    throttled: () => limiter.refusals(),
    served: (api) => store.served(api),
    servedIncidentAlerts: () => store.servedIncidentAlerts(),
    close: async () => {
      for (const [timer, resolve] of timers) {
        clearTimeout(timer);
        resolve();
      }
      timers.clear();
      await Promise.all(
        servers.map(
          (s) =>
            new Promise<void>((resolve) => {
              s.close(() => resolve());
              s.closeAllConnections();
            }),
        ),
      );
    },
  };
}

/** Dispatches a request to its handler by service, method and path (paths match case-insensitively, ids verbatim). */
function route(ctx: RequestContext, env: EmulatorContext): Reply {
  if (ctx.service === 'login') return handleLogin(ctx, env.directory, env.now);
  const segments = ctx.path
    .split('/')
    .filter((s) => s !== '')
    .map((s) => decodeURIComponent(s));
  const lower = segments.map((s) => s.toLowerCase());
  const m = ctx.method.toUpperCase();
  const notFound = (): Reply => apiErrorReply(ctx, 404, 'NotFound', `No route for ${m} ${ctx.path}.`);
  const notAllowed = (): Reply => apiErrorReply(ctx, 405, 'MethodNotAllowed', `${m} is not allowed on ${ctx.path}.`);

  if (ctx.service === 'graph' && lower[0] === 'v1.0' && lower[1] === 'security' && lower[2] === 'incidents') {
    const id = segments[3];
    if (id === undefined) return m === 'GET' ? listGraphIncidents(ctx, env) : notAllowed();
    if (segments.length === 4) {
      if (m === 'GET') return getGraphIncident(ctx, env, id);
      if (m === 'PATCH') return patchGraphIncident(ctx, env, id);
      return notAllowed();
    }
    if (segments.length === 5 && lower[4] === 'comments')
      return m === 'POST' ? addIncidentComment(ctx, env, id) : notAllowed();
    return notFound();
  }
  if (ctx.service === 'graph') {
    if (lower[0] !== 'v1.0' || lower[1] !== 'security' || lower[2] !== 'alerts_v2') return notFound();
    const id = segments[3];
    if (id === undefined) return m === 'GET' ? listGraphAlerts(ctx, env) : notAllowed();
    if (segments.length === 4) {
      if (m === 'GET') return getGraphAlert(ctx, env, id);
      if (m === 'PATCH') return patchGraphAlert(ctx, env, id);
      return notAllowed();
    }
    if (segments.length === 5 && lower[4] === 'comments')
      return m === 'POST' ? addGraphComment(ctx, env, id) : notAllowed();
    return notFound();
  }

  if (lower[0] !== 'api') return notFound();
  // `/api/v1.0/alerts` pins the version; `/api/alerts` is the latest (doc): same handler.
  const rest = lower[1] === 'v1.0' ? segments.slice(2) : segments.slice(1);
  const restLower = rest.map((s) => s.toLowerCase());

  if (ctx.service === 'siem') {
    if (restLower.length === 1 && restLower[0] === 'alerts')
      return m === 'GET' ? listSiemAlerts(ctx, env) : notAllowed();
    return notFound();
  }

  if (restLower[0] === 'alerts') {
    if (rest.length === 1) return m === 'GET' ? listMdeAlerts(ctx, env) : notAllowed();
    if (rest.length === 2 && restLower[1] === 'batchupdate')
      return m === 'POST' ? batchUpdateMdeAlerts(ctx, env) : notAllowed();
    if (rest.length === 2) {
      if (m === 'GET') return getMdeAlert(ctx, env, rest[1]!);
      if (m === 'PATCH') return patchMdeAlert(ctx, env, rest[1]!);
      return notAllowed();
    }
    return notFound();
  }
  if (restLower[0] === 'indicators') return handleIndicators(ctx, env, rest.slice(1));
  return notFound();
}
