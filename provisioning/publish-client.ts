/**
 * Client side of the publishing API (protocol/publish-api.ts). `PublishClient` is the port the
 * `gatecast draft …` commands use; `HttpPublishClient` talks to a sync server, and the CLI's local
 * mode implements the same port on a repository directory.
 */
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import type { z } from 'zod';
import { formatProblems, GatecastError, type Problem } from '../protocol/errors.js';
import {
  ApiErrorBody,
  type CreateDraftRequest,
  DraftView,
  PUBLISH_API_PREFIX,
  PublishResult,
  type SignatureUpload,
  SiteGroupView,
  UploadResult,
} from '../protocol/publish-api.js';

export interface PublishClient {
  siteGroups(): Promise<SiteGroupView[]>;
  createDraft(req: CreateDraftRequest): Promise<DraftView>;
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
  addSignature(id: string, sig: SignatureUpload): Promise<DraftView>;
  publish(id: string): Promise<PublishResult>;
  discard(id: string): Promise<void>;
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
  token: string;
  fetch?: typeof fetch;
}

export class HttpPublishClient implements PublishClient {
  readonly #base: string;
  readonly #token: string;
  readonly #fetch: typeof fetch;

  constructor(opts: HttpPublishClientOptions) {
    this.#base = `${opts.server.replace(/\/+$/, '')}${PUBLISH_API_PREFIX}`;
    this.#token = opts.token;
    this.#fetch = opts.fetch ?? fetch;
  }

  async #call(method: string, path: string, init: { json?: unknown; body?: BodyInit; raw?: boolean } = {}) {
    const headers: Record<string, string> = { authorization: `Bearer ${this.#token}` };
    let body: BodyInit | undefined = init.body;
    if (init.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(init.json);
    } else if (init.body !== undefined) headers['content-type'] = 'application/octet-stream';
    let res: Response;
    try {
      res = await this.#fetch(`${this.#base}${path}`, {
        method,
        headers,
        ...(body !== undefined ? { body } : {}),
        ...(init.body !== undefined ? { duplex: 'half' } : {}),
      } as RequestInit);
    } catch (err) {
      throw new PublishApiError(
        'SERVER_UNREACHABLE',
        `${method} ${this.#base}${path}: ${(err as Error).message}`,
        0,
        [],
        {
          cause: err,
        },
      );
    }
    if (!res.ok) {
      const text = await res.text();
      let parsed: z.infer<typeof ApiErrorBody> | undefined;
      try {
        parsed = ApiErrorBody.parse(JSON.parse(text));
      } catch {
        parsed = undefined; // not our error format: report the status and text below
      }
      if (parsed)
        throw new PublishApiError(
          parsed.error.code,
          parsed.error.message,
          res.status,
          parsed.error.problems ?? [],
        );
      throw new PublishApiError(
        'SERVER_ERROR',
        `${method} ${path}: HTTP ${res.status} ${text.slice(0, 200)}`,
        res.status,
      );
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
  getDraft(id: string) {
    return this.#parsed(DraftView, this.#call('GET', `/drafts/${encodeURIComponent(id)}`));
  }
  listDrafts() {
    return this.#parsed(DraftView.array(), this.#call('GET', '/drafts'));
  }
  async manifest(id: string) {
    return (await this.#call('GET', `/drafts/${encodeURIComponent(id)}/manifest`, { raw: true })) as Buffer;
  }
  addSignature(id: string, sig: SignatureUpload) {
    return this.#parsed(
      DraftView,
      this.#call('POST', `/drafts/${encodeURIComponent(id)}/signatures`, { json: sig }),
    );
  }
  publish(id: string) {
    return this.#parsed(PublishResult, this.#call('POST', `/drafts/${encodeURIComponent(id)}/publish`));
  }
  async discard(id: string) {
    await this.#call('DELETE', `/drafts/${encodeURIComponent(id)}`);
  }
  uploadFile(id: string, path: string, file: string, onProgress?: (sentBytes: number) => void) {
    let sent = 0;
    const counted = Readable.from(
      (async function* () {
        for await (const chunk of createReadStream(file, { highWaterMark: 256 * 1024 })) {
          sent += (chunk as Buffer).length;
          onProgress?.(sent);
          yield chunk as Buffer;
        }
      })(),
    );
    const urlPath = path.split('/').map(encodeURIComponent).join('/');
    return this.#parsed(
      UploadResult,
      this.#call('PUT', `/drafts/${encodeURIComponent(id)}/files/${urlPath}`, {
        body: Readable.toWeb(counted) as unknown as BodyInit,
      }),
    );
  }
}
