/**
 * Client side of the publishing API (protocol/publish-api.ts). `PublishClient` is the port the
 * `gatecast draft …` commands use; `HttpPublishClient` talks to a sync server (signed in with an
 * account: `HttpPublishClient.login`) or to `gatecast repo serve` (bearer token), and the CLI's
 * local mode implements the same port on a repository directory.
 */
import { createReadStream } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import type { ReadableStream as NodeWebStream } from 'node:stream/web';
import { z } from 'zod';
import { formatProblems, GatecastError, type Problem } from '../protocol/errors.js';
import { EmergencyEndPreview, EmergencyEndStatusView, type EmergencyRef } from '../protocol/emergency-end.js';
import type { ManifestDiff } from '../protocol/manifest-diff.js';
import {
  ApiErrorBody,
  type CreateDraftRequest,
  type RestoreDraftRequest,
  DraftView,
  PUBLISH_API_PREFIX,
  PublishResult,
  type SignatureUpload,
  SignResult,
  SiteGroupView,
  UploadResult,
} from '../protocol/publish-api.js';

export interface PublishClient {
  siteGroups(): Promise<SiteGroupView[]>;
  createDraft(req: CreateDraftRequest): Promise<DraftView>;
  /** A new draft whose content is published version `req.version`, made from the version on air. */
  restoreDraft(req: RestoreDraftRequest): Promise<DraftView>;
  /** Streams one file; `onProgress` receives the bytes sent so far. */
  uploadFile(
    id: string,
    path: string,
    file: string,
    onProgress?: (sentBytes: number) => void,
  ): Promise<UploadResult>;
  getDraft(id: string): Promise<DraftView>;
  listDrafts(): Promise<DraftView[]>;
  manifest(id: string): Promise<Buffer>;
  /** What an open draft changes against the version on air; null once published. */
  diff(id: string): Promise<ManifestDiff | null>;
  /** Adds a signature; the one that meets the threshold publishes the draft (`published`). */
  addSignature(id: string, sig: SignatureUpload): Promise<SignResult>;
  publish(id: string): Promise<PublishResult>;
  discard(id: string): Promise<void>;
  /** Sends an open draft back to its author with `comment` (an approver account; the server requires the comment). */
  reject(id: string, comment: string): Promise<DraftView>;
  /** Its author sends a rejected draft back for approval, with a new note when given. */
  resubmit(id: string, note?: string): Promise<DraftView>;
  /** Ends what the client holds (the account session); the client is not used afterwards. */
  close?(): Promise<void>;
}

/** The server refused a request or could not be reached; `code` is the server's error code. */
export class PublishApiError extends GatecastError {
  readonly code: string;
  constructor(
    code: string,
    message: string,
    readonly status: number,
    readonly problems: Problem[] = [],
    options?: { cause?: unknown },
  ) {
    super(problems.length ? `${message}:\n${formatProblems(problems)}` : message, options);
    this.code = code;
  }
}

export interface HttpPublishClientOptions {
  /** Server base URL, e.g. `https://signage.example.gov.vn`. */
  server: string;
  /** `Authorization: Bearer` token of a standalone `gatecast repo serve`. */
  token?: string;
  /** An account session on the sync server (see `HttpPublishClient.login`). */
  session?: PublishSession;
  fetch?: typeof fetch;
}

/** A signed-in account: the session cookie to send back and the CSRF token for mutating requests. */
export interface PublishSession {
  /** `name=value` of the session cookie. */
  cookie: string;
  csrfToken: string;
  /** `roles`: every role of the account (servers before several roles per account send only `role`). */
  user: { username: string; displayName: string; role: string; roles?: string[] | undefined };
}

export interface LoginOptions {
  server: string;
  username: string;
  password: string;
  fetch?: typeof fetch;
}

const SessionReply = z.object({
  user: z.object({
    username: z.string(),
    displayName: z.string(),
    role: z.string(),
    roles: z.array(z.string()).optional(),
  }),
  csrfToken: z.string().min(1),
  expiresAt: z.string().optional(),
});

const RegisteredKey = z.object({ keyid: z.string(), name: z.string(), username: z.string() });
export type RegisteredKey = z.infer<typeof RegisteredKey>;

/** The account API beside the publishing API on the sync server. */
const SESSION_PATH = '/api/session';
const CSRF_HEADER = 'x-csrf-token';

async function errorOf(res: Response, what: string): Promise<PublishApiError> {
  const text = await res.text();
  let parsed: z.infer<typeof ApiErrorBody> | undefined;
  try {
    parsed = ApiErrorBody.parse(JSON.parse(text));
  } catch {
    parsed = undefined; // not our error format: report the status and text below
  }
  if (parsed)
    return new PublishApiError(
      parsed.error.code,
      parsed.error.message,
      res.status,
      parsed.error.problems ?? [],
    );
  return new PublishApiError('SERVER_ERROR', `${what}: HTTP ${res.status} ${text.slice(0, 200)}`, res.status);
}

const refQuery = (ref: EmergencyRef) =>
  new URLSearchParams({ ...(ref.siteGroup ? { siteGroup: ref.siteGroup } : {}), id: ref.id }).toString();

function unreachable(what: string, err: unknown): PublishApiError {
  return new PublishApiError('SERVER_UNREACHABLE', `${what}: ${(err as Error).message}`, 0, [], {
    cause: err,
  });
}

/**
 * A `fetch` for an https server whose certificate (or the CA that issued it) is `ca`: only that is
 * trusted, not the system's CAs — the CLI's `--ca` for a sync server with a private certificate.
 * Supports what HttpPublishClient sends: string and streamed bodies, and reads the reply as a Response.
 */
export function pinnedFetch(ca: string | Buffer): typeof fetch {
  return (async (input: string | URL | Request, init: RequestInit = {}) => {
    const url = new URL(input instanceof Request ? input.url : input.toString());
    if (url.protocol !== 'https:')
      throw new TypeError(`a pinned CA needs an https:// server, not ${url.origin}`);
    const method = init.method ?? 'GET';
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((v, k) => (headers[k] = v));
    const body = init.body;
    return new Promise<Response>((resolve, reject) => {
      const req = httpsRequest(url, { method, headers, ca }, (res) => {
        const h = new Headers();
        for (const [k, v] of Object.entries(res.headers)) {
          if (Array.isArray(v)) for (const x of v) h.append(k, x);
          else if (v !== undefined) h.set(k, v);
        }
        const status = res.statusCode ?? 502;
        const noBody = status === 204 || status === 304 || method === 'HEAD';
        if (noBody) res.resume();
        resolve(
          new Response(noBody ? null : (Readable.toWeb(res) as unknown as ReadableStream<Uint8Array>), {
            status,
            headers: h,
          }),
        );
      });
      req.on('error', reject);
      if (body === undefined || body === null) req.end();
      else if (typeof body === 'string' || body instanceof Uint8Array) req.end(body);
      else if (body instanceof ReadableStream)
        pipeline(Readable.fromWeb(body as unknown as NodeWebStream<Uint8Array>), req).catch((err: unknown) =>
          req.destroy(err as Error),
        );
      else {
        req.destroy();
        reject(new TypeError('unsupported request body'));
      }
    });
  }) as typeof fetch;
}

/** The bytes of `file` as a stream, telling `onProgress` how many have been read so far. */
export function fileUpload(file: string, onProgress?: (sentBytes: number) => void): Readable {
  let sent = 0;
  return Readable.from(
    (async function* () {
      for await (const chunk of createReadStream(file, { highWaterMark: 256 * 1024 })) {
        sent += (chunk as Buffer).length;
        onProgress?.(sent);
        yield chunk as Buffer;
      }
    })(),
  );
}

export class HttpPublishClient implements PublishClient {
  readonly #server: string;
  readonly #base: string;
  readonly #token: string | undefined;
  #session: PublishSession | undefined;
  readonly #fetch: typeof fetch;

  constructor(opts: HttpPublishClientOptions) {
    if (opts.token !== undefined && opts.session !== undefined)
      throw new Error('HttpPublishClient takes a bearer token or a session, not both');
    this.#server = opts.server.replace(/\/+$/, '');
    this.#base = `${this.#server}${PUBLISH_API_PREFIX}`;
    this.#token = opts.token;
    this.#session = opts.session;
    this.#fetch = opts.fetch ?? fetch;
  }

  /**
   * Signs in to the sync server with an account (POST /api/session) and returns a client that sends
   * the session cookie, and the CSRF token on every mutating request. Call `logout()` when done.
   * Refusals: AUTH_FAILED (401: wrong username or password), AUTH_RATE_LIMITED (429),
   * NO_ACCOUNTS (the server has no account login, e.g. `gatecast repo serve`).
   */
  static async login(o: LoginOptions): Promise<HttpPublishClient> {
    const server = o.server.replace(/\/+$/, '');
    const doFetch = o.fetch ?? fetch;
    const url = `${server}${SESSION_PATH}`;
    let res: Response;
    try {
      res = await doFetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: o.username, password: o.password }),
      });
    } catch (err) {
      throw unreachable(`POST ${url}`, err);
    }
    if (!res.ok) {
      const e = await errorOf(res, `POST ${url}`);
      if (e.code === 'AUTH_FAILED')
        throw new PublishApiError(
          'AUTH_FAILED',
          `${server} refused the login of "${o.username}": wrong username or password (or the account is disabled)`,
          res.status,
        );
      if (e.code === 'AUTH_RATE_LIMITED') {
        const after = res.headers.get('retry-after');
        throw new PublishApiError(
          'AUTH_RATE_LIMITED',
          `${server}: too many login attempts for "${o.username}"${after ? `; try again in ${after} s` : '; try again later'}`,
          res.status,
        );
      }
      if (res.status === 404)
        throw new PublishApiError(
          'NO_ACCOUNTS',
          `${server} has no account login (a "gatecast repo serve" server?): use --token or --token-file there`,
          res.status,
        );
      throw e;
    }
    const cookie = res.headers
      .getSetCookie()
      .map((c) => c.split(';', 1)[0]!.trim())
      .find((c) => /^[\w.-]+=./.test(c));
    const body = SessionReply.safeParse(await res.json().catch(() => undefined));
    if (!cookie || !body.success)
      throw new PublishApiError('PROTOCOL_INVALID', `${url}: the login reply has no session`, res.status);
    const client = new HttpPublishClient({
      server,
      session: { cookie, csrfToken: body.data.csrfToken, user: body.data.user },
      ...(o.fetch ? { fetch: o.fetch } : {}),
    });
    const expiresAtMs = body.data.expiresAt ? Date.parse(body.data.expiresAt) : Number.NaN;
    client.#expiresAtMs = Number.isFinite(expiresAtMs) ? expiresAtMs : undefined;
    return client;
  }

  #expiresAtMs: number | undefined;

  /** When the session ends at the latest (epoch ms), as the server said at login. */
  get sessionExpiresAtMs(): number | undefined {
    return this.#expiresAtMs;
  }

  /**
   * A client on a session saved from an earlier login, once the server confirms it is still live
   * (GET /api/session, which also renews its idle timer); undefined when it has ended.
   */
  static async resume(o: {
    server: string;
    session: PublishSession;
    fetch?: typeof fetch;
  }): Promise<HttpPublishClient | undefined> {
    const server = o.server.replace(/\/+$/, '');
    const url = `${server}${SESSION_PATH}`;
    let res: Response;
    try {
      res = await (o.fetch ?? fetch)(url, { headers: { cookie: o.session.cookie } });
    } catch (err) {
      throw unreachable(`GET ${url}`, err);
    }
    if (res.status === 401) {
      await res.body?.cancel();
      return undefined;
    }
    if (!res.ok) throw await errorOf(res, `GET ${url}`);
    const body = SessionReply.safeParse(await res.json().catch(() => undefined));
    if (!body.success || body.data.user.username !== o.session.user.username) return undefined;
    return new HttpPublishClient({
      server,
      session: { cookie: o.session.cookie, csrfToken: body.data.csrfToken, user: body.data.user },
      ...(o.fetch ? { fetch: o.fetch } : {}),
    });
  }

  /** The signed-in account, in session mode. */
  get user(): PublishSession['user'] | undefined {
    return this.#session?.user;
  }

  /** The session (cookie and CSRF token), to keep for the next command; undefined without one. */
  get session(): PublishSession | undefined {
    return this.#session;
  }

  /** Ends the session (DELETE /api/session); nothing to do with a bearer token or after logging out. */
  async logout(): Promise<void> {
    const s = this.#session;
    if (!s) return;
    this.#session = undefined;
    const url = `${this.#server}${SESSION_PATH}`;
    let res: Response;
    try {
      res = await this.#fetch(url, {
        method: 'DELETE',
        headers: { cookie: s.cookie, [CSRF_HEADER]: s.csrfToken },
      });
    } catch (err) {
      throw unreachable(`DELETE ${url}`, err);
    }
    // An expired session is logged out already.
    if (!res.ok && res.status !== 401) throw await errorOf(res, `DELETE ${url}`);
    await res.body?.cancel();
  }

  async close(): Promise<void> {
    await this.logout();
  }

  /**
   * Registers an approver public key (`<name>.pub.json` contents) to the signed-in account
   * (POST /api/session/keys; the account's password is asked again there).
   */
  async registerKey(publicKey: unknown, currentPassword: string): Promise<RegisteredKey> {
    const s = this.#session;
    if (!s) throw new PublishApiError('AUTH_REQUIRED', 'registering a key needs an account session', 0);
    const url = `${this.#server}${SESSION_PATH}/keys`;
    let res: Response;
    try {
      res = await this.#fetch(url, {
        method: 'POST',
        headers: { cookie: s.cookie, [CSRF_HEADER]: s.csrfToken, 'content-type': 'application/json' },
        body: JSON.stringify({ currentPassword, publicKey: JSON.stringify(publicKey) }),
      });
    } catch (err) {
      throw unreachable(`POST ${url}`, err);
    }
    if (!res.ok) throw await errorOf(res, `POST ${url}`);
    const body = z.object({ key: RegisteredKey }).safeParse(await res.json().catch(() => undefined));
    if (!body.success) throw new PublishApiError('PROTOCOL_INVALID', `${url}: unexpected reply`, res.status);
    return body.data.key;
  }

  #headers(method: string): Record<string, string> {
    if (this.#token !== undefined) return { authorization: `Bearer ${this.#token}` };
    if (!this.#session) return {};
    return {
      cookie: this.#session.cookie,
      ...(method === 'GET' || method === 'HEAD' ? {} : { [CSRF_HEADER]: this.#session.csrfToken }),
    };
  }

  /** One call to the publishing API, or, with `root`, to `path` on the server itself. */
  async #call(
    method: string,
    path: string,
    init: { json?: unknown; body?: BodyInit; raw?: boolean; root?: boolean } = {},
  ) {
    const base = init.root ? this.#server : this.#base;
    const headers = this.#headers(method);
    let body: BodyInit | undefined = init.body;
    if (init.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(init.json);
    } else if (init.body !== undefined) headers['content-type'] = 'application/octet-stream';
    let res: Response;
    try {
      res = await this.#fetch(`${base}${path}`, {
        method,
        headers,
        ...(body !== undefined ? { body } : {}),
        ...(init.body !== undefined ? { duplex: 'half' } : {}),
      } as RequestInit);
    } catch (err) {
      throw unreachable(`${method} ${base}${path}`, err);
    }
    if (!res.ok) {
      const e = await errorOf(res, `${method} ${path}`);
      if (e.code === 'AUTH_REQUIRED')
        throw new PublishApiError(
          'AUTH_REQUIRED',
          this.#session
            ? `${this.#server}: the session of "${this.#session.user.username}" has ended; run the command again`
            : `${this.#server} takes account logins for publishing: use --user NAME (tokens work only with "gatecast repo serve")`,
          e.status,
        );
      throw e;
    }
    if (res.status === 204) return undefined;
    return init.raw ? Buffer.from(await res.arrayBuffer()) : res.json();
  }

  async #parsed<S extends z.ZodType>(schema: S, p: Promise<unknown>): Promise<z.infer<S>> {
    const raw = await p;
    const r = schema.safeParse(raw);
    if (!r.success) throw new PublishApiError('PROTOCOL_INVALID', 'unexpected reply from the server', 0);
    return r.data;
  }

  siteGroups() {
    return this.#parsed(SiteGroupView.array(), this.#call('GET', '/site-groups'));
  }
  createDraft(req: CreateDraftRequest) {
    return this.#parsed(DraftView, this.#call('POST', '/drafts', { json: req }));
  }
  restoreDraft(req: RestoreDraftRequest) {
    return this.#parsed(DraftView, this.#call('POST', '/drafts/restore', { json: req }));
  }
  getDraft(id: string) {
    return this.#parsed(DraftView, this.#call('GET', `/drafts/${encodeURIComponent(id)}`));
  }
  listDrafts() {
    return this.#parsed(DraftView.array(), this.#call('GET', '/drafts'));
  }
  async manifest(id: string) {
    return (await this.#call('GET', `/drafts/${encodeURIComponent(id)}/manifest`, { raw: true })) as Buffer;
  }
  async diff(id: string) {
    const body = (await this.#call('GET', `/drafts/${encodeURIComponent(id)}/diff`)) as {
      diff: ManifestDiff | null;
    };
    return body.diff;
  }
  addSignature(id: string, sig: SignatureUpload) {
    return this.#parsed(
      SignResult,
      this.#call('POST', `/drafts/${encodeURIComponent(id)}/signatures`, { json: sig }),
    );
  }
  publish(id: string) {
    return this.#parsed(PublishResult, this.#call('POST', `/drafts/${encodeURIComponent(id)}/publish`));
  }
  async discard(id: string) {
    await this.#call('DELETE', `/drafts/${encodeURIComponent(id)}`);
  }
  reject(id: string, comment: string) {
    return this.#parsed(
      DraftView,
      this.#call('POST', `/drafts/${encodeURIComponent(id)}/reject`, { json: { comment } }),
    );
  }
  resubmit(id: string, note?: string) {
    return this.#parsed(
      DraftView,
      this.#call('POST', `/drafts/${encodeURIComponent(id)}/resubmit`, {
        json: note !== undefined ? { note } : {},
      }),
    );
  }
  /**
   * The sync server's emergency early end (docs/drafts.md §7; an account session): what ending `ref`
   * would take off air, or the server's named refusal.
   */
  emergencyEndCheck(ref: EmergencyRef) {
    return this.#parsed(
      EmergencyEndPreview,
      this.#call('GET', `/api/content/emergencies/end-check?${refQuery(ref)}`, { root: true }),
    );
  }
  /** Ends the emergency `ref` names early; the end's status as the server recorded it. */
  endEmergencyEarly(ref: EmergencyRef) {
    return this.#parsed(
      EmergencyEndStatusView,
      this.#call('POST', '/api/content/emergencies/end-early', { json: ref, root: true }),
    );
  }
  /** Which screens confirmed the early end of the emergency `ref` names. */
  emergencyEndStatus(ref: EmergencyRef) {
    return this.#parsed(
      EmergencyEndStatusView,
      this.#call('GET', `/api/content/emergencies/end-status?${refQuery(ref)}`, { root: true }),
    );
  }
  uploadFile(id: string, path: string, file: string, onProgress?: (sentBytes: number) => void) {
    const counted = fileUpload(file, onProgress);
    const urlPath = path.split('/').map(encodeURIComponent).join('/');
    return this.#parsed(
      UploadResult,
      this.#call('PUT', `/drafts/${encodeURIComponent(id)}/files/${urlPath}`, {
        body: Readable.toWeb(counted) as unknown as BodyInit,
      }),
    );
  }
}
