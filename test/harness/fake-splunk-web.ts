/**
 * A small Splunk Web for browser tests, in front of the fake splunkd: what the Configuration page touches, answered as
 * Splunk Web answers it.
 *   - `GET /<locale>/account/insecurelogin?username=…&return_to=…`: signs a user in (session cookie splunkd_<port>,
 *     HttpOnly, and the CSRF cookie splunkweb_csrf_token_<port>), then redirects;
 *   - `GET /<locale>/config?autoload=1`: the `window.$C` script (locale, root path, port);
 *   - `GET /<locale>/app/<app>/<view>`: the view's `template="<app>:/templates/<file>"` from the app folder, served
 *     as is (a template with Mako code is refused: the add-on ships plain HTML);
 *   - `GET /<locale>/static/app/<app>/<file>`: appserver/static;
 *   - `/<locale>/splunkd/__raw/<splunkd path>`: the REST proxy. 401 without a session; 403 for a write without the
 *     X-Splunk-Form-Key header equal to the CSRF cookie; 404 for a splunkd path that neither Splunk's own exposures
 *     nor the app's web.conf `[expose:…]` list; else forwarded to splunkd with the user's session key.
 * `log` holds one access-log line per request (method, path, status; never a body or a cookie).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import { parseConf } from '../../src/config/app-settings.js';

export interface FakeSplunkWebOptions {
  /** `$SPLUNK_HOME` of the fake splunkd: apps are read from `<splunkHome>/etc/apps/<app>`. */
  splunkHome: string;
  /** The fake splunkd's URI (https://127.0.0.1:<port>). */
  splunkdUri: string;
  /** Users who may sign in, by name: the splunkd session key each gets. */
  users: Record<string, { sessionKey: string }>;
  locale?: string;
}

export interface FakeSplunkWeb {
  /** `http://127.0.0.1:<port>` */
  url: string;
  port: number;
  /** The page that signs `user` in and lands on `path` (e.g. `/en-US/app/TA-microsoft-defender/configuration`). */
  loginUrl(user: string, path: string): string;
  /** Access log: `METHOD path status`, one line per request. */
  log: string[];
  close(): Promise<void>;
}

/** splunkd paths Splunk Web exposes by default that the page uses (Splunk's own web.conf has many more). */
const SPLUNK_EXPOSED: ReadonlyArray<{ pattern: string; methods: string[] }> = [
  { pattern: 'authentication/current-context', methods: ['GET'] },
  { pattern: 'configs/conf-*', methods: ['GET', 'POST'] },
  { pattern: 'configs/conf-*/*', methods: ['GET', 'POST', 'DELETE'] },
  { pattern: 'storage/passwords', methods: ['GET', 'POST'] },
  { pattern: 'storage/passwords/*', methods: ['GET', 'POST', 'DELETE'] },
  { pattern: 'data/inputs/**', methods: ['GET', 'POST', 'DELETE'] },
];

const CONTENT_TYPES: Record<string, string> = {
  '.js': 'application/javascript; charset=UTF-8',
  '.css': 'text/css; charset=UTF-8',
  '.png': 'image/png',
  '.html': 'text/html; charset=UTF-8',
};

export async function startFakeSplunkWeb(options: FakeSplunkWebOptions): Promise<FakeSplunkWeb> {
  const locale = options.locale ?? 'en-US';
  const log: string[] = [];
  const sessions = new Map<string, { user: string; sessionKey: string; csrf: string }>();
  let port = 0;

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      res.on('finish', () => log.push(`${req.method} ${path} ${res.statusCode}`));
      handle(req, res, Buffer.concat(chunks)).catch(() => {
        if (!res.headersSent) res.writeHead(500).end();
      });
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
    const cookies = parseCookies(req.headers.cookie ?? '');
    const session = sessions.get(cookies[`splunkd_${port}`] ?? '');
    const prefix = `/${locale}`;
    const path = url.pathname;

    if (path === `${prefix}/account/insecurelogin`) {
      const user = options.users[url.searchParams.get('username') ?? ''];
      if (!user) return text(res, 401, 'Unknown user');
      const cookie = randomBytes(16).toString('hex');
      const csrf = randomBytes(12).toString('hex');
      sessions.set(cookie, { user: url.searchParams.get('username')!, sessionKey: user.sessionKey, csrf });
      res
        .writeHead(303, {
          location: url.searchParams.get('return_to') ?? `${prefix}/app/launcher/home`,
          'set-cookie': [
            `splunkd_${port}=${cookie}; Path=/; HttpOnly; SameSite=Strict`,
            `splunkweb_csrf_token_${port}=${csrf}; Path=/; SameSite=Strict`,
          ],
        })
        .end();
      return;
    }
    if (path === `${prefix}/config`) {
      const config = {
        LOCALE: locale,
        MRSPARKLE_ROOT_PATH: '',
        MRSPARKLE_PORT_NUMBER: port,
        USERNAME: session?.user ?? '',
        BUILD_NUMBER: 1,
      };
      return send(res, 200, CONTENT_TYPES['.js']!, `window.$C = ${JSON.stringify(config)};\n`);
    }
    const app = path.startsWith(`${prefix}/`) ? /^\/app\/([^/]+)\/([^/]+)$/.exec(path.slice(prefix.length)) : null;
    if (app) {
      if (!session) return redirect(res, `${prefix}/account/login?return_to=${encodeURIComponent(path)}`);
      return serveView(res, app[1]!, app[2]!);
    }
    const staticFile = path.startsWith(`${prefix}/`)
      ? /^\/static\/app\/([^/]+)\/(.+)$/.exec(path.slice(prefix.length))
      : null;
    if (staticFile) return serveStatic(res, staticFile[1]!, staticFile[2]!);
    if (path.startsWith(`${prefix}/splunkd/__raw/`))
      return proxy(req, res, body, url, path.slice(`${prefix}/splunkd/__raw`.length), session);
    return text(res, 404, 'Not found');
  }

  function serveView(res: ServerResponse, app: string, view: string): void {
    const appDir = join(options.splunkHome, 'etc', 'apps', app);
    const viewFile = join(appDir, 'default', 'data', 'ui', 'views', `${view}.xml`);
    if (!existsSync(viewFile)) return text(res, 404, 'No such view');
    const template = /<view\s[^>]*template="([^":]+):\/templates\/([^"]+)"/.exec(readFileSync(viewFile, 'utf8'));
    if (!template || template[1] !== app)
      return text(res, 500, 'The fake serves only views with a template of their own app');
    const html = readFileSync(join(appDir, 'appserver', 'templates', normalize(template[2]!)), 'utf8');
    if (/<%|\$\{/.test(html)) return text(res, 500, 'Mako code in a template: the add-on ships plain HTML');
    send(res, 200, CONTENT_TYPES['.html']!, html);
  }

  function serveStatic(res: ServerResponse, app: string, file: string): void {
    const dir = join(options.splunkHome, 'etc', 'apps', app, 'appserver', 'static');
    const full = normalize(join(dir, file));
    if (!full.startsWith(dir) || !existsSync(full)) return text(res, 404, 'Not found');
    send(res, 200, CONTENT_TYPES[extname(full)] ?? 'application/octet-stream', readFileSync(full));
  }

  async function proxy(
    req: IncomingMessage,
    res: ServerResponse,
    body: Buffer,
    url: URL,
    splunkdPath: string,
    session: { sessionKey: string; csrf: string } | undefined,
  ): Promise<void> {
    const json = (status: number, message: string) =>
      send(
        res,
        status,
        'application/json; charset=UTF-8',
        JSON.stringify({ messages: [{ type: 'ERROR', text: message }] }),
      );
    if (!session) return json(401, 'Not logged in');
    const method = req.method ?? 'GET';
    if (method !== 'GET' && req.headers['x-splunk-form-key'] !== session.csrf)
      return json(403, 'CSRF validation failed');
    if (!isExposed(splunkdPath, method)) return json(404, `Not exposed to Splunk Web: ${splunkdPath}`);
    const target = new URL(`${splunkdPath}${url.search}`, options.splunkdUri);
    await new Promise<void>((resolve) => {
      const forward = httpsRequest(
        target,
        {
          method,
          rejectUnauthorized: false,
          headers: {
            authorization: `Splunk ${session.sessionKey}`,
            ...(req.headers['content-type'] ? { 'content-type': req.headers['content-type'] } : {}),
          },
        },
        (answer) => {
          const parts: Buffer[] = [];
          answer.on('data', (c: Buffer) => parts.push(c));
          answer.on('end', () => {
            send(
              res,
              answer.statusCode ?? 502,
              answer.headers['content-type'] ?? 'application/json',
              Buffer.concat(parts),
            );
            resolve();
          });
        },
      );
      forward.on('error', () => {
        json(502, 'splunkd is not reachable');
        resolve();
      });
      forward.end(body);
    });
  }

  /** Splunk's own exposures, then every app's web.conf [expose:…] (pattern: `*` one segment, `**` any). */
  function isExposed(splunkdPath: string, method: string): boolean {
    const segments = splunkdPath
      .split('/')
      .slice(1)
      .map((s) => decodeURIComponent(s));
    const rest =
      segments[0] === 'servicesNS' ? segments.slice(3) : segments[0] === 'services' ? segments.slice(1) : undefined;
    if (!rest) return false;
    const exposures = [...SPLUNK_EXPOSED, ...appExposures()];
    return exposures.some((e) => e.methods.includes(method) && matches(e.pattern.split('/'), rest));
  }

  function appExposures(): Array<{ pattern: string; methods: string[] }> {
    const found: Array<{ pattern: string; methods: string[] }> = [];
    const apps = join(options.splunkHome, 'etc', 'apps');
    for (const app of existsSync(apps) ? readdirSync(apps) : []) {
      const file = join(apps, app, 'default', 'web.conf');
      if (!existsSync(file)) continue;
      for (const [name, keys] of parseConf({ file, text: readFileSync(file, 'utf8') })) {
        const pattern = keys.get('pattern')?.value;
        if (!name.startsWith('expose:') || !pattern) continue;
        found.push({
          pattern,
          methods: (keys.get('methods')?.value ?? 'GET').split(',').map((m) => m.trim().toUpperCase()),
        });
      }
    }
    return found;
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    port,
    log,
    loginUrl: (user, path) =>
      `${url}/${locale}/account/insecurelogin?username=${encodeURIComponent(user)}&return_to=${encodeURIComponent(path)}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function matches(pattern: string[], path: string[]): boolean {
  if (pattern.length === 0) return path.length === 0;
  const [head, ...tail] = pattern;
  if (head === '**') return path.some((_, i) => matches(tail, path.slice(i + 1))) || matches(tail, path);
  if (path.length === 0) return false;
  const ok = head === '*' || head === path[0] || (head!.endsWith('*') && path[0]!.startsWith(head!.slice(0, -1)));
  return ok && matches(tail, path.slice(1));
}

function parseCookies(header: string): Record<string, string> {
  return Object.fromEntries(
    header
      .split(/;\s*/)
      .filter(Boolean)
      .map((c) => {
        const eq = c.indexOf('=');
        return [c.slice(0, eq), decodeURIComponent(c.slice(eq + 1))];
      }),
  );
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' }).end(body);
}

function text(res: ServerResponse, status: number, body: string): void {
  send(res, status, 'text/plain; charset=UTF-8', body);
}

function redirect(res: ServerResponse, location: string): void {
  res.writeHead(303, { location }).end();
}
