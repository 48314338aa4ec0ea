/**
 * How every HTTP route of the server answers an error, in one place: installed once on the root
 * app (http-app.ts), it answers for every feature, the ops API, enrolment, metrics and TUF alike.
 *
 *   { "error": { "code": "DRAFT_NOT_FOUND", "message": "…", "problems"?: [{path, message}], …details } }
 *
 * - An error with a stable code (GatecastError, see protocol/errors.ts and each feature's errors)
 *   answers the status STATUS_BY_CODE gives that code, with its message (in the asked language when
 *   the error can say it: `messageIn`), its problems, its `details()` and, with `retryAfterMs`,
 *   a Retry-After header.
 * - A request that breaks a route's zod schema (params, querystring, body) answers 400
 *   REQUEST_INVALID with every problem listed, each with where (`path`) and which rule.
 * - fastify's own refusals (bad JSON, body too large, wrong content type: 4xx) pass through with
 *   their status, as REQUEST_INVALID.
 * - Anything else — a bug, a failed disk, a coded error without an HTTP meaning — is logged and
 *   answers 500 "internal error", saying nothing of what went wrong.
 * - A route a browser navigates to (a dashboard form sent as a plain GET) may declare an
 *   `errorPage` in its config: a request that accepts HTML then gets the same status and message
 *   as that page, in the asked language, instead of the JSON body.
 */
import type {
  FastifyError,
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  FastifySchemaCompiler,
} from 'fastify';
import type { z } from 'zod';
import { coded, GatecastError, type Problem } from '../../protocol/errors.js';
import { zodProblems } from '../../protocol/validate.js';
import type { Logger } from '../../platform/log.js';

/** A request broke a route's schema; `problems` names every field and rule. */
export class RequestInvalidError extends coded('REQUEST_INVALID') {
  constructor(
    message: string,
    readonly problems: Problem[] = [],
  ) {
    super(message);
  }
}

/** No such thing (device, command, token, screenshot) behind an existing route. */
export class NotFoundError extends coded('NOT_FOUND') {}

/** The signed-in role may not do this to this thing (beyond what the route's action allows). */
export class ForbiddenError extends coded('FORBIDDEN') {}

/** The HTTP status of each stable error code a route may answer; a code not listed answers 500. */
export const STATUS_BY_CODE: Readonly<Record<string, number>> = Object.freeze({
  // The request itself is wrong.
  REQUEST_INVALID: 400,
  CONTENT_INVALID: 400,
  DRAFT_INVALID: 400,
  SIGNATURE_REJECTED: 400,
  SIGNING_PAYLOAD_INVALID: 400,
  EMERGENCY_LANGUAGE_MISSING: 400,
  ACCOUNT_INVALID: 400,
  MEDIA_NAME_INVALID: 400,
  MEDIA_EMPTY: 400,
  SCHEDULE_INVALID: 400,
  TIMEZONE_INVALID: 400,
  PROTOCOL_INVALID: 400,
  CONFIG_INVALID: 400,
  KEY_FILE_INVALID: 400,
  REPORT_INVALID: 400,
  REPORT_PERIOD_TOO_LONG: 400,
  REPORT_FORM_INVALID: 400,
  ENROL_TTL_INVALID: 400,
  ROLLOUT_INVALID: 400,
  ENROL_SCREEN_NAME_INVALID: 400,
  REJECTION_COMMENT_REQUIRED: 400,
  TEMPLATE_INVALID: 400,
  TEMPLATE_LANGUAGE_MISSING: 400,
  // Who is asking.
  AUTH_REQUIRED: 401,
  AUTH_FAILED: 401,
  UNAUTHORISED: 401,
  FORBIDDEN: 403,
  COMMAND_RESERVED: 403,
  NOT_DRAFT_OWNER: 403,
  NOT_DRAFT_REVIEWER: 403,
  ADMIN_MAY_NOT_SIGN: 403,
  KEY_NOT_REGISTERED: 403,
  ENROL_TOKEN_UNKNOWN: 403,
  ENROL_TOKEN_USED: 403,
  ENROL_TOKEN_EXPIRED: 403,
  ENROL_TOKEN_REVOKED: 403,
  // What it is about.
  NOT_FOUND: 404,
  USER_NOT_FOUND: 404,
  KEY_NOT_FOUND: 404,
  DRAFT_NOT_FOUND: 404,
  DRAFT_FILE_NOT_FOUND: 404,
  EMERGENCY_NOT_FOUND: 404,
  VERSION_NOT_FOUND: 404,
  MEDIA_NOT_FOUND: 404,
  SITE_GROUP_UNKNOWN: 404,
  ALERT_NOT_FOUND: 404,
  ENROL_GATE_UNKNOWN: 404,
  ROLLOUT_NOT_FOUND: 404,
  TEMPLATE_NOT_FOUND: 404,
  // The state it is in.
  USER_EXISTS: 409,
  LAST_ADMIN: 409,
  ADMIN_EXISTS: 409,
  KEY_REGISTERED_TO_ANOTHER_ACCOUNT: 409,
  WORKSPACE_STALE: 409,
  DRAFT_BASE_STALE: 409,
  DRAFT_EMERGENCY_NOT_ON_AIR: 409,
  REBASE_CONFLICT: 409,
  DRAFT_STATE: 409,
  THRESHOLD_NOT_MET: 409,
  SIGNER_IS_CREATOR: 409,
  SIGNER_REPEATED: 409,
  DRAFT_PAYLOAD_CHANGED: 409,
  DRAFT_REJECTED: 409,
  EMERGENCY_DRAFT_EXPIRED: 409,
  EMERGENCY_NOT_ENDABLE: 409,
  EMERGENCY_ALREADY_ENDED: 409,
  EMERGENCY_EXPIRED: 409,
  EMERGENCY_NOT_ON_AIR: 409,
  EMERGENCY_NOT_ENDED: 409,
  NO_PUBLISHED_BUNDLE: 409,
  SITE_GROUP_HAS_NO_GATE: 409,
  TUF_REPO: 409,
  DEVICE_REVOKED: 409,
  DEVICE_RETIRED: 409,
  ENROL_KEY_IN_USE: 409,
  RELEASE_NOT_PUBLISHED: 409,
  ROLLOUT_STATE: 409,
  ROLLOUT_ACTIVE: 409,
  ROLLOUT_STAGE_UNSETTLED: 409,
  TEMPLATE_NAME_TAKEN: 409,
  MEDIA_TOO_LARGE: 413,
  MEDIA_NOT_VIEWABLE: 415,
  MEDIA_TYPE: 415,
  MEDIA_TYPE_MISMATCH: 415,
  MEDIA_UNSUPPORTED: 415,
  MEDIA_UNDECODABLE: 422,
  MEDIA_REFUSED: 422,
  MEDIA_LIMITS: 422,
  MEDIA_NORMALISE_FAILED: 422,
  // Later, or elsewhere.
  AUTH_RATE_LIMITED: 429,
  REPORT_BUSY: 429,
  REAUDIT_RUNNING: 409,
  REAUDIT_NOT_RUNNING: 409,
  PDF_RENDER_FAILED: 503,
  ENROL_NO_TRUST_ROOT: 503,
});

/** What an error may add to its answer (all optional, read from the error itself). */
interface AnswerExtras {
  /** The problems found, each with where and which rule. */
  problems?: Problem[];
  /** How long to wait before asking again: a Retry-After header and `retryAfterS`. */
  retryAfterMs?: number;
  /** Fields added to the answer's error object (e.g. the workspace's current revision). */
  details?(): Record<string, unknown>;
  /** The message in the dashboard language `lang`, for errors a person reads in the page's words. */
  messageIn?(lang: string): string;
}

/** One error answer: its status, its body and the headers it needs. */
export interface ErrorAnswer {
  status: number;
  body: { error: { code: string; message: string; problems?: Problem[]; [k: string]: unknown } };
  headers: Record<string, string>;
  /** Whether the answer hides a fault that must be logged. */
  fault: boolean;
}

const internal = (): ErrorAnswer => ({
  status: 500,
  body: { error: { code: 'INTERNAL', message: 'internal error' } },
  headers: {},
  fault: true,
});

/** The answer for `err` (pure: the plugin below sends it). `lang`: the asked language, if any. */
export function errorAnswer(err: unknown, lang?: string): ErrorAnswer {
  if (err instanceof GatecastError) {
    const status = STATUS_BY_CODE[err.code];
    if (status === undefined) return internal();
    const x = err as GatecastError & AnswerExtras;
    const problems = Array.isArray(x.problems) && x.problems.length > 0 ? x.problems : undefined;
    const retryAfterS =
      typeof x.retryAfterMs === 'number' ? Math.max(1, Math.ceil(x.retryAfterMs / 1000)) : undefined;
    return {
      status,
      body: {
        error: {
          code: err.code,
          message:
            (lang !== undefined && typeof x.messageIn === 'function' && x.messageIn(lang)) || err.message,
          ...(problems && { problems }),
          ...(retryAfterS !== undefined && { retryAfterS }),
          ...(typeof x.details === 'function' ? x.details() : {}),
        },
      },
      headers: retryAfterS !== undefined ? { 'retry-after': String(retryAfterS) } : {},
      fault: status >= 500,
    };
  }
  const f = err as Partial<FastifyError>;
  if (typeof f.statusCode === 'number' && f.statusCode >= 400 && f.statusCode < 500) {
    // A schema validation error from another compiler than ours (see zodValidatorCompiler).
    const problems = Array.isArray(f.validation)
      ? f.validation.map((v) => ({
          path: v.instancePath.replace(/^\//, '').replaceAll('/', '.'),
          message: v.message ?? 'invalid',
        }))
      : undefined;
    return {
      status: f.statusCode,
      body: {
        error: {
          code: 'REQUEST_INVALID',
          message: String(f.message ?? 'invalid request'),
          ...(problems?.length ? { problems } : {}),
        },
      },
      headers: {},
      fault: false,
    };
  }
  return internal();
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The page a browser gets instead of the JSON error body (see the header). */
    errorPage?: ErrorPage;
  }
}

/** An error as a whole HTML page (no script: it is sent with a CSP that allows none). */
export type ErrorPage = (error: { status: number; code: string; message: string }, lang?: string) => string;

export const ERROR_PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'";

/** Whether the caller is a browser navigating (it takes HTML first), not a script asking for JSON. */
export function wantsHtml(accept: string | undefined): boolean {
  return !!accept && accept.includes('text/html') && !accept.startsWith('application/json');
}

export interface ErrorHandlerOptions {
  log: Logger;
  /** The language a request asks its answers in, for errors that can say themselves in it. */
  language?: (request: FastifyRequest) => string | undefined;
}

/** Installs the one error handler on `app` (the root instance, so every route gets it). */
export function installErrorHandler(app: FastifyInstance, o: ErrorHandlerOptions): void {
  app.setErrorHandler((err, request: FastifyRequest, reply: FastifyReply) => {
    const lang = o.language?.(request);
    const answer = errorAnswer(err, lang);
    if (answer.fault)
      o.log.error('request failed', {
        method: request.method,
        route: request.routeOptions.url,
        err,
      });
    reply.code(answer.status).headers({ ...answer.headers, 'cache-control': 'no-store' });
    const page = request.routeOptions.config?.errorPage;
    if (page && wantsHtml(request.headers.accept))
      return reply
        .headers({ 'content-type': 'text/html; charset=utf-8', 'content-security-policy': ERROR_PAGE_CSP })
        .send(page({ status: answer.status, ...answer.body.error }, lang));
    return reply.send(answer.body);
  });
}

const PART: Record<string, string> = {
  body: 'the request body',
  querystring: 'the query',
  params: 'the path',
  headers: 'the headers',
};

/**
 * Validates a route's params, querystring, body and headers with the zod schemas it declares
 * (`schema: { body: … }`, typed through fastify-type-provider-zod's ZodTypeProvider): a failure is a
 * RequestInvalidError naming every problem, with the project's paths (`items.[2].title`).
 */
export const zodValidatorCompiler: FastifySchemaCompiler<z.ZodType> =
  ({ schema, httpPart }) =>
  (data) => {
    const r = schema.safeParse(data);
    if (r.success) return { value: r.data };
    return {
      error: new RequestInvalidError(
        `${PART[httpPart ?? ''] ?? 'the request'} is invalid`,
        zodProblems(r.error),
      ),
    };
  };
