/**
 * A small splunkd management port for tests: https on 127.0.0.1 (throw-away certificate from testTls()) that serves
 * the endpoints the add-on uses, the way splunkd answers them:
 *   - `storage/passwords` under `/servicesNS/<owner>/<app>/`: list, read one (`<realm>:<user>:`), create (409 when it
 *     exists), update, delete (404 for an unknown entry);
 *   - `POST …/data/inputs/<scheme>/<name>`: edits a modular input stanza; `GET` reads one (options.inputStanzas);
 *   - `POST /services/receivers/simple?sourcetype=…`: indexes the body as one event.
 * Every request needs `Authorization: Splunk <sessionKey>` (else 401): the main key acts as splunk-system-user with
 * every capability; `users` adds session keys of other users (storage/passwords then answers as splunkd does: 403
 * without list_storage_passwords, clear_password only with it). `routes` serve more endpoints (fake-splunkd-config.ts:
 * conf files, current-context, data/inputs lists, persistent REST scripts). JSON answers with `output_mode=json`, a
 * stub Atom feed otherwise. Tests inspect what arrived through `passwords`, `inputUpdates`, `events` and `requests`.
 */
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { testTls } from '../helpers/tls.js';

/** One storage/passwords entry; the map key is splunkd's entry name `<realm>:<username>:`. */
export interface FakePassword {
  realm: string;
  username: string;
  password: string;
  app: string;
}

/** One edit of a modular input stanza through data/inputs. */
export interface FakeInputUpdate {
  scheme: string;
  name: string;
  app: string;
  params: Record<string, string>;
}

/** One event posted to receivers/simple: its query (sourcetype, source, index, host) and raw body. */
export interface FakeEvent {
  query: Record<string, string>;
  body: string;
}

/** What the fake saw of each request (never the body: it may hold a secret). */
export interface FakeRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  authorized: boolean;
  userAgent: string | undefined;
}

/** A user behind a session key, with the capabilities its roles give. */
export interface FakeUser {
  name: string;
  roles: string[];
  capabilities: string[];
}

/** The user of the main session key: splunkd's own system user, which may do anything. */
export const SYSTEM_USER: FakeUser = {
  name: 'splunk-system-user',
  roles: ['admin'],
  capabilities: ['admin_all_objects', 'list_storage_passwords', 'edit_storage_passwords'],
};

/** What a route sees of one authenticated request. */
export interface FakeRouteContext {
  req: IncomingMessage;
  url: URL;
  query: Record<string, string>;
  /** Decoded path segments (`servicesNS`, owner, app, …). */
  segments: string[];
  /** The raw body (form-encoded for splunkd's POSTs). */
  body: string;
  form: Record<string, string>;
  user: FakeUser;
  sessionKey: string;
  send(status: number, payload: Record<string, unknown>): void;
  fail(status: number, text: string): void;
}

/** Serves one request and returns true, or returns false to let the next route (or the built-in ones) try. */
export type FakeRoute = (ctx: FakeRouteContext) => boolean | Promise<boolean>;

export interface FakeSplunkdOptions {
  /** The main session key (user {@link SYSTEM_USER}). */
  sessionKey: string;
  /** More session keys and their users (a Splunk Web login, a read-only user). */
  users?: Record<string, FakeUser>;
  /** Endpoints beyond the built-in ones, tried first, in order. */
  routes?: FakeRoute[];
  /**
   * Stanzas that exist, as `<scheme>://<name>`. When given, editing any other stanza is a 404 as in splunkd; when
   * omitted, every stanza exists (handy for tests that do not care).
   */
  inputs?: string[];
  /**
   * Stanza parameters served by `GET …/data/inputs/<scheme>/<name>`, keyed `<scheme>://<name>` (alert actions read
   * an input's tenant and client this way). A stanza not listed here answers 404.
   */
  inputStanzas?: Record<string, Record<string, string>>;
}

export interface FakeSplunkd {
  /** `https://127.0.0.1:<port>`, the `server_uri` to hand to the code under test. */
  uri: string;
  /** Stored secrets by entry name `<realm>:<username>:`. Tests may seed it. */
  passwords: Map<string, FakePassword>;
  inputUpdates: FakeInputUpdate[];
  events: FakeEvent[];
  requests: FakeRequest[];
  /** true: drop every open and new connection at once (splunkd down or restarting); false: serve again. */
  setDown(down: boolean): void;
  /** true: accept connections and requests but never answer (a hung splunkd), to exercise timeouts. */
  setHanging(hanging: boolean): void;
  close(): Promise<void>;
}

/** Starts a fake splunkd on 127.0.0.1 with a random port. */
export async function startFakeSplunkd(options: FakeSplunkdOptions): Promise<FakeSplunkd> {
  const tls = testTls();
  const passwords = new Map<string, FakePassword>();
  const inputUpdates: FakeInputUpdate[] = [];
  const events: FakeEvent[] = [];
  const requests: FakeRequest[] = [];
  const sockets = new Set<Socket>();
  const knownInputs = options.inputs ? new Set(options.inputs) : undefined;
  let down = false;
  let hanging = false;

  const server: Server = createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
    if (hanging) return;
    readBody(req).then(
      (body) => handle(req, res, body),
      () => res.destroy(),
    );
  });
  server.on('connection', (socket: Socket) => {
    if (down) {
      socket.destroy();
      return;
    }
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  function handle(req: IncomingMessage, res: ServerResponse, body: string): void {
    const url = new URL(req.url ?? '/', 'https://127.0.0.1');
    const query = Object.fromEntries(url.searchParams);
    const sessionKey = /^Splunk (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
    const user = sessionKey === options.sessionKey ? SYSTEM_USER : options.users?.[sessionKey];
    const authorized = user !== undefined;
    requests.push({
      method: req.method ?? '',
      path: url.pathname,
      query,
      authorized,
      userAgent: req.headers['user-agent'],
    });
    const json = query.output_mode === 'json';
    const send = (status: number, payload: Record<string, unknown>) => {
      if (json) {
        res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8' }).end(JSON.stringify(payload));
      } else {
        res
          .writeHead(status, { 'content-type': 'text/xml; charset=UTF-8' })
          .end('<?xml version="1.0" encoding="UTF-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom"/>\n');
      }
    };
    const fail = (status: number, text: string, type = 'ERROR') => send(status, { messages: [{ type, text }] });

    if (!user) return fail(401, 'call not properly authenticated', 'WARN');
    const segments = url.pathname
      .split('/')
      .slice(1)
      .map((s) => decodeURIComponent(s));
    const form = Object.fromEntries(new URLSearchParams(body));
    const ctx: FakeRouteContext = {
      req,
      url,
      query,
      segments,
      body,
      form,
      user,
      sessionKey,
      send,
      fail: (status, text) => fail(status, text),
    };
    void (async () => {
      for (const route of options.routes ?? []) if (await route(ctx)) return;
      builtIn(ctx);
    })().catch(() => fail(500, 'fake splunkd route failed'));
  }

  function builtIn({ req, url, query, segments, body, form, user, send, fail }: FakeRouteContext): void {
    const clear = user.capabilities.includes('list_storage_passwords');

    if (req.method === 'POST' && url.pathname === '/services/receivers/simple') {
      events.push({ query: withoutOutputMode(query), body });
      return send(200, {
        index: query.index ?? 'main',
        bytes: Buffer.byteLength(body),
        host: query.host ?? 'fake-splunkd',
        source: query.source ?? 'http-simple',
        sourcetype: query.sourcetype ?? 'http-simple',
      });
    }
    if (segments[0] !== 'servicesNS' || segments.length < 4) return fail(404, `Not Found: ${url.pathname}`);
    const [, , app = '', ...rest] = segments;

    if (rest[0] === 'storage' && rest[1] === 'passwords' && rest.length <= 3) {
      const name = rest[2];
      // splunkd: reading secrets needs list_storage_passwords; writing them, admin_all_objects (or
      // edit_storage_passwords).
      if (req.method === 'GET' && !clear)
        return fail(403, 'You do not have permission to list storage passwords (list_storage_passwords).');
      if (
        req.method !== 'GET' &&
        !user.capabilities.includes('admin_all_objects') &&
        !user.capabilities.includes('edit_storage_passwords')
      ) {
        return fail(403, 'You do not have permission to edit storage passwords.');
      }
      if (name === undefined && req.method === 'GET') return send(200, feed(app, [...passwords.entries()]));
      if (name === undefined && req.method === 'POST') {
        if (!form.name || form.password === undefined) return fail(400, 'Missing name or password');
        const entry = `${form.realm ?? ''}:${form.name}:`;
        if (passwords.has(entry)) return fail(409, `An object with name=${entry} already exists`);
        passwords.set(entry, { realm: form.realm ?? '', username: form.name, password: form.password, app });
        return send(201, feed(app, [[entry, passwords.get(entry)!]]));
      }
      if (name === undefined) return fail(405, 'Method not allowed');
      const existing = passwords.get(name);
      if (!existing) return fail(404, `Could not find object id=${name}`);
      if (req.method === 'GET') return send(200, feed(app, [[name, existing]]));
      if (req.method === 'POST') {
        if (form.password === undefined) return fail(400, 'Missing password');
        existing.password = form.password;
        return send(200, feed(app, [[name, existing]]));
      }
      if (req.method === 'DELETE') {
        passwords.delete(name);
        return send(200, feed(app, []));
      }
      return fail(405, 'Method not allowed');
    }

    if (rest[0] === 'data' && rest[1] === 'inputs' && rest.length === 4 && req.method === 'GET') {
      const [, , scheme = '', name = ''] = rest;
      const stanza = options.inputStanzas?.[`${scheme}://${name}`];
      if (!stanza) return fail(404, `Could not find object id=${name}`);
      return send(200, {
        entry: [{ name, acl: { app, owner: 'nobody' }, content: { ...stanza, disabled: false, 'eai:acl': { app } } }],
        messages: [],
      });
    }
    if (rest[0] === 'data' && rest[1] === 'inputs' && rest.length === 4 && req.method === 'POST') {
      const [, , scheme = '', name = ''] = rest;
      if (knownInputs && !knownInputs.has(`${scheme}://${name}`)) return fail(404, `Could not find object id=${name}`);
      inputUpdates.push({ scheme, name, app, params: withoutOutputMode(form) });
      return send(200, { entry: [{ name, content: withoutOutputMode(form) }], messages: [] });
    }
    return fail(404, `Not Found: ${url.pathname}`);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    uri: `https://127.0.0.1:${port}`,
    passwords,
    inputUpdates,
    events,
    requests,
    setDown(value) {
      down = value;
      if (value) for (const socket of sockets) socket.destroy();
    },
    setHanging(value) {
      hanging = value;
    },
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * splunkd's JSON feed for storage/passwords entries, with the clear password as splunkd returns it to a privileged
 * user.
 */
function feed(app: string, entries: Array<[string, FakePassword]>): Record<string, unknown> {
  return {
    origin: `https://127.0.0.1:8089/servicesNS/nobody/${app}/storage/passwords`,
    updated: new Date(0).toISOString(),
    generator: { build: 'fake', version: '9.4.0' },
    entry: entries.map(([name, p]) => ({
      name,
      id: `https://127.0.0.1:8089/servicesNS/nobody/${p.app}/storage/passwords/${encodeURIComponent(name)}`,
      author: 'nobody',
      acl: { app: p.app, owner: 'nobody', sharing: 'app' },
      content: {
        clear_password: p.password,
        encr_password: '$7$fake',
        password: '********',
        realm: p.realm,
        username: p.username,
      },
    })),
    paging: { total: entries.length, perPage: 30, offset: 0 },
    messages: [],
  };
}

function withoutOutputMode(record: Record<string, string>): Record<string, string> {
  const { output_mode: _ignored, ...rest } = record;
  return rest;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
