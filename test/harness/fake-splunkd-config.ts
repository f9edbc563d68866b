/**
 * More of splunkd for the fake (fake-splunkd.ts `routes`): what Splunk Web pages use to configure an app.
 *   - `authentication/current-context`: the caller's user, roles and capabilities;
 *   - `configs/conf-<file>` in `/servicesNS/<owner>/<app>/`: list, read, create (409 when it exists), update, delete,
 *     backed by the app folder ON DISK as splunkd does it: reads merge default/ and local/, writes go to
 *     local/<file>.conf; writes need admin_all_objects (the app's metadata gives write to admin only);
 *   - `data/inputs/<scheme>` lists (all apps), 404 for a scheme that does not exist;
 *   - restmap.conf `[script:…]` endpoints with `scripttype = persist`: read from the app's own default/restmap.conf,
 * the
 *     `driver` started once (with $SPLUNK_HOME substituted) and spoken to with the persistconn packet protocol, the
 *     request document built as splunkd builds it (session, server.rest_uri, form, query, ns). `capability` is
 * enforced.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mergeConfs, parseConf, type Conf } from '../../src/config/app-settings.js';
import {
  encodeRequestPacket,
  OPCODE_BLOCK,
  OPCODE_END,
  OPCODE_INIT,
  readStrings,
  type PersistRequest,
} from '../../src/rest/persist-protocol.js';
import type { FakeRoute, FakeRouteContext } from './fake-splunkd.js';

export interface ConfigRoutesOptions {
  /** `$SPLUNK_HOME`: apps live in `<splunkHome>/etc/apps/<app>`. */
  splunkHome: string;
  /** The fake's own URI, handed to persistent scripts as `server.rest_uri` (known once the fake listens). */
  serverUri(): string;
  /** Inputs by `<scheme>://<name>` → parameters, listed by data/inputs/<scheme>. */
  inputs?: Record<string, Record<string, string>>;
  /** Input schemes that exist (others answer 404). Default: the schemes found in `inputs`. */
  schemes?: string[];
  /** Environment of persistent drivers, beyond SPLUNK_HOME and PATH (e.g. NODE_EXTRA_CA_CERTS for an emulator). */
  driverEnv?: Record<string, string>;
}

export interface ConfigRoutes {
  routes: FakeRoute[];
  /** Every stderr line persistent drivers wrote (splunkd.log in a real splunkd). */
  driverLog: string[];
  /** Stops the drivers (splunkd closes their stdin). */
  close(): Promise<void>;
}

export function createConfigRoutes(options: ConfigRoutesOptions): ConfigRoutes {
  const driverLog: string[] = [];
  const drivers = new Map<string, PersistentDriver>();
  const appDir = (app: string) => join(options.splunkHome, 'etc', 'apps', app);
  const schemes = new Set(options.schemes ?? Object.keys(options.inputs ?? {}).map((key) => key.split('://')[0]!));

  const currentContext: FakeRoute = ({ segments, user, send, req }) => {
    if (req.method !== 'GET' || !pathIs(segments, ['authentication', 'current-context'])) return false;
    send(200, {
      entry: [
        { name: user.name, content: { username: user.name, roles: user.roles, capabilities: user.capabilities } },
      ],
      messages: [],
    });
    return true;
  };

  const inputLists: FakeRoute = ({ segments, req, send, fail }) => {
    const rest = servicePath(segments);
    if (req.method !== 'GET' || rest?.[0] !== 'data' || rest[1] !== 'inputs' || rest.length !== 3) return false;
    const scheme = rest[2]!;
    if (!schemes.has(scheme)) {
      fail(404, `Not Found: no input type ${scheme}`);
      return true;
    }
    const entry = Object.entries(options.inputs ?? {})
      .filter(([key]) => key.startsWith(`${scheme}://`))
      .map(([key, params]) => ({ name: key.slice(scheme.length + 3), content: { ...params, disabled: false } }));
    send(200, { entry, paging: { total: entry.length }, messages: [] });
    return true;
  };

  const confs: FakeRoute = (ctx) => {
    const [root, , app = '', configs, file = '', stanza, ...more] = ctx.segments;
    if (root !== 'servicesNS' || configs !== 'configs' || !file.startsWith('conf-') || more.length > 0) return false;
    serveConf(ctx, appDir(app), file.slice(5), stanza, ctx.req.method ?? 'GET');
    return true;
  };

  const persistent: FakeRoute = async (ctx) => {
    const { segments } = ctx;
    // Only the app namespace form (/servicesNS/<owner>/<app>/<match>), the one the page uses.
    const app = segments[0] === 'servicesNS' ? segments[2] : undefined;
    if (app === undefined) return false;
    const path = `/${segments.slice(3).join('/')}`;
    for (const [name, keys] of readConf(appDir(app), 'restmap')) {
      if (
        !name.startsWith('script:') ||
        keys.get('scripttype')?.value !== 'persist' ||
        keys.get('match')?.value !== path
      )
        continue;
      await servePersistent(ctx, app, name, new Map([...keys].map(([k, v]) => [k, v.value])), path);
      return true;
    }
    return false;
  };

  async function servePersistent(
    ctx: FakeRouteContext,
    app: string,
    stanza: string,
    conf: Map<string, string>,
    restPath: string,
  ): Promise<void> {
    const capability = conf.get('capability');
    if (capability && !ctx.user.capabilities.includes(capability)) {
      ctx.fail(403, `Insufficient permissions: this endpoint requires the ${capability} capability.`);
      return;
    }
    const substitute = (text: string) => text.replace(/\$SPLUNK_HOME/g, options.splunkHome);
    const driverPath = substitute(conf.get('driver') ?? '');
    const key = `${app}/${stanza}`;
    let driver = drivers.get(key);
    if (!driver) {
      driver = new PersistentDriver(
        driverPath,
        { SPLUNK_HOME: options.splunkHome, PATH: process.env.PATH ?? '', ...options.driverEnv },
        driverLog,
      );
      drivers.set(key, driver);
    }
    const request: Record<string, unknown> & { session?: PersistRequest['session']; form?: PersistRequest['form'] } = {
      output_mode: ctx.query.output_mode ?? 'xml',
      method: ctx.req.method,
      rest_path: restPath,
      query: [...ctx.url.searchParams].filter(([k]) => k !== 'output_mode'),
      server: { rest_uri: options.serverUri(), hostname: 'fake-splunkd', servername: 'fake-splunkd' },
      ns: { app, user: 'nobody' },
      connection: { src_ip: '127.0.0.1', ssl: true, listening_port: 0 },
    };
    if (conf.get('passSession') !== 'false') request.session = { user: ctx.user.name, authtoken: ctx.sessionKey };
    if (ctx.req.method === 'POST' || ctx.req.method === 'PUT') {
      request.form = [...new URLSearchParams(ctx.body)].filter(([k]) => k !== 'output_mode');
    }
    const command = [
      substitute(conf.get('script') ?? ''),
      ...[...conf].filter(([k]) => /^script\.arg\.\d+$/.test(k)).map(([, v]) => substitute(v)),
    ];
    let reply: { status?: number; payload?: unknown };
    try {
      reply = await driver.request(command, conf.get('script.param'), JSON.stringify(request));
    } catch (error) {
      ctx.fail(500, `persistent script failed: ${(error as Error).message}`);
      return;
    }
    ctx.send(reply.status ?? 200, (reply.payload ?? {}) as Record<string, unknown>);
  }

  return {
    routes: [currentContext, inputLists, confs, persistent],
    driverLog,
    async close() {
      await Promise.all([...drivers.values()].map((d) => d.close()));
    },
  };
}

/** configs/conf-<file>[/<stanza>] against the app folder on disk. */
function serveConf(ctx: FakeRouteContext, dir: string, file: string, stanza: string | undefined, method: string): void {
  const { send, fail, form, user } = ctx;
  const entry = (name: string, keys: Map<string, string>) => ({
    name,
    content: {
      ...Object.fromEntries(keys),
      disabled: false,
      'eai:acl': { app: dir.split('/').at(-1), sharing: 'app', owner: 'nobody' },
    },
    acl: { app: dir.split('/').at(-1), owner: 'nobody', sharing: 'app' },
  });
  const merged = () => flatten(mergeConfs([readConf(dir, file, 'default'), readConf(dir, file, 'local')]));
  if (method === 'GET') {
    const all = merged();
    if (stanza === undefined) {
      send(200, {
        entry: [...all].filter(([name]) => name !== 'default').map(([name, keys]) => entry(name, keys)),
        messages: [],
      });
      return;
    }
    const keys = all.get(stanza);
    if (!keys) return fail(404, `Could not find object id=${stanza}`);
    send(200, { entry: [entry(stanza, keys)], messages: [] });
    return;
  }
  if (!user.capabilities.includes('admin_all_objects'))
    return fail(403, `You do not have permission to write ${file}.conf (admin_all_objects).`);
  const local = flatten(readConf(dir, file, 'local'));
  const values = Object.entries(form).filter(([k]) => k !== 'output_mode' && k !== 'name');
  if (method === 'POST' && stanza === undefined) {
    const name = form.name ?? '';
    if (name === '') return fail(400, 'Missing name');
    if (merged().has(name)) return fail(409, `An object with name=${name} already exists`);
    local.set(name, new Map(values));
    writeLocal(dir, file, local);
    send(201, { entry: [entry(name, merged().get(name)!)], messages: [] });
    return;
  }
  if (method === 'POST' && stanza !== undefined) {
    if (!merged().has(stanza)) return fail(404, `Could not find object id=${stanza}`);
    const keys = local.get(stanza) ?? new Map<string, string>();
    for (const [k, v] of values) keys.set(k, v);
    local.set(stanza, keys);
    writeLocal(dir, file, local);
    send(200, { entry: [entry(stanza, merged().get(stanza)!)], messages: [] });
    return;
  }
  if (method === 'DELETE' && stanza !== undefined) {
    if (!local.has(stanza)) return fail(404, `Could not find object id=${stanza}`);
    local.delete(stanza);
    writeLocal(dir, file, local);
    send(200, { entry: [], messages: [] });
    return;
  }
  fail(405, 'Method not allowed');
}

function readConf(dir: string, file: string, layer?: 'default' | 'local'): Conf {
  if (layer === undefined) return mergeConfs([readConf(dir, file, 'default'), readConf(dir, file, 'local')]);
  const path = join(dir, layer, `${file}.conf`);
  return existsSync(path) ? parseConf({ file: path, text: readFileSync(path, 'utf8') }) : new Map();
}

function flatten(conf: Conf): Map<string, Map<string, string>> {
  return new Map([...conf].map(([name, keys]) => [name, new Map([...keys].map(([k, v]) => [k, v.value]))]));
}

function writeLocal(dir: string, file: string, conf: Map<string, Map<string, string>>): void {
  mkdirSync(join(dir, 'local'), { recursive: true });
  const text = [...conf]
    .filter(([name, keys]) => name !== 'default' || keys.size > 0)
    .map(([name, keys]) => `[${name}]\n${[...keys].map(([k, v]) => `${k} = ${v}\n`).join('')}`)
    .join('\n');
  writeFileSync(join(dir, 'local', `${file}.conf`), text);
}

/** `/services/<p…>` or `/servicesNS/<owner>/<app>/<p…>` → `<p…>`. */
function servicePath(segments: string[]): string[] | undefined {
  if (segments[0] === 'services') return segments.slice(1);
  if (segments[0] === 'servicesNS' && segments.length >= 3) return segments.slice(3);
  return undefined;
}

function pathIs(segments: string[], expected: string[]): boolean {
  const rest = servicePath(segments);
  return rest !== undefined && rest.length === expected.length && rest.every((s, i) => s === expected[i]);
}

/** One persistent driver process, one request at a time (splunkd sends the next only after the reply). */
class PersistentDriver {
  private child: ChildProcess | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private buffer = Buffer.alloc(0);
  private waiting: ((strings: string[]) => void) | undefined;
  private strings: string[] = [];

  constructor(
    private readonly path: string,
    private readonly env: Record<string, string>,
    private readonly log: string[],
  ) {}

  request(
    command: string[],
    param: string | undefined,
    block: string,
  ): Promise<{ status?: number; payload?: unknown }> {
    const run = this.queue.then(() => this.exchange(command, param, block));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private start(): ChildProcess {
    if (this.child && this.child.exitCode === null) return this.child;
    const child = spawn(this.path, [], { env: this.env, stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdout.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      const { strings, consumed } = readStrings(this.buffer);
      this.buffer = this.buffer.subarray(consumed);
      this.strings.push(...strings);
      this.waiting?.(this.strings);
    });
    let partial = '';
    child.stderr.on('data', (chunk: Buffer) => {
      const lines = (partial + chunk.toString('utf8')).split('\n');
      partial = lines.pop() ?? '';
      this.log.push(...lines);
    });
    child.on('exit', () => this.waiting?.(this.strings));
    this.child = child;
    return child;
  }

  private exchange(
    command: string[],
    param: string | undefined,
    block: string,
  ): Promise<{ status?: number; payload?: unknown }> {
    const child = this.start();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no reply within 30 s')), 30_000);
      this.waiting = (strings) => {
        if (strings.length >= 2) {
          clearTimeout(timer);
          this.waiting = undefined;
          const [init, reply] = this.strings.splice(0, 2);
          if (init !== '') reject(new Error(`driver refused the script: ${init}`));
          else resolve(JSON.parse(reply!) as { status?: number; payload?: unknown });
        } else if (child.exitCode !== null) {
          clearTimeout(timer);
          reject(new Error(`driver exited with code ${child.exitCode}`));
        }
      };
      child.stdin!.write(
        encodeRequestPacket({ opcode: OPCODE_INIT | OPCODE_BLOCK | OPCODE_END, command, commandArg: param, block }),
      );
    });
  }

  close(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      child.on('exit', () => resolve());
      child.stdin!.end();
    });
  }
}
