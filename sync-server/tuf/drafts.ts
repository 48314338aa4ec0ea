/**
 * Drafts: the next version of a site group, assembled by an author and signed by approvers on
 * their own machines before it is published.
 *
 * ```
 * <repo>/drafts/<id>/draft.json        DraftRecord (atomic writes)
 * <repo>/drafts/<id>/files/<sha256>    staged bytes (bundle.json and uploaded media), by content hash
 * ```
 * Only the signature travels from an approver: the server checks each one against the site
 * group's approver keys (unknown key, bad signature and duplicates are refused) and publishes once
 * the threshold is met. Signatures that come with an account obey the two-person rule (the creator
 * may not sign, no account signs twice) and count only with a key registered to that account
 * (keyRefusal); emergency drafts take no signature and no publication after their `approveBy`
 * deadline (see signingRefusal). A signature may name the digest of the payload its approver was
 * shown (`payloadSha256`); it is refused when the draft's payload is no longer that.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rm, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { canonicalize } from '@tufjs/canonical-json';
import { Metadata, MetadataKind, type Targets } from '@tufjs/models';
import { fsyncDir, writeFileAtomic } from '../../platform/atomic-file.js';
import type { Clock } from '../../protocol/clock.js';
import {
  BUNDLE_MANIFEST_NAME,
  type BundleManifest,
  bundleManifestPath,
  parseBundleManifest,
} from '../../protocol/content.js';
import { diffManifests, type ManifestDiff } from '../../protocol/manifest-diff.js';
import { coded, GatecastError } from '../../protocol/errors.js';
import { ForbiddenError } from '../web/errors.js';
import { type Action, isAllowed } from '../web/roles.js';
import { createLogger, type Logger } from '../../platform/log.js';
import {
  type CreateDraftRequest,
  checkDraft,
  RestoreDraftRequest,
  type DraftRestore,
  restoreSummary,
  MAX_DRAFT_NOTE_CHARS,
  DraftFile,
  type DraftStale,
  type DraftView,
  type PublishResult,
  type SignatureUpload,
  type SignResult,
  type UploadResult,
} from '../../protocol/publish-api.js';
import {
  deadlinePassed,
  DraftKind,
  KeyNotRegisteredError,
  type KeyOwners,
  keyRefusal,
  signingRefusal,
} from './draft-signing-rules.js';
import {
  DraftBaseStaleError,
  DraftEmergencyNotOnAirError,
  DraftError,
  DraftNotFoundError,
  DraftRebaseConflictError,
  DraftStateError,
  SignatureRejectedError,
} from './errors.js';
import { type Resolution, type ThreeWayDiff } from '../../protocol/manifest-merge.js';
import { baseOf, DraftRecord } from './draft-record.js';
import { hashedTargetPath } from './layout.js';
import { sha256Hex, tufTime } from './metadata.js';
import type { TufRepository } from './repository.js';
import { exists, type TargetSource } from './target-files.js';
import { DEFAULT_MEDIA_LIMITS, type MediaLimits } from '../../platform/media-normalise.js';
import { probeMedia } from '../../platform/media-probe.js';
import { MediaJobs, recordDraftMedia, stageDraftMedia } from './draft-media.js';
import { restoreContent } from './draft-restore.js';
import { rebasedFiles, rebaseInput, staleDifference } from './draft-rebase.js';

/** Only a draft's creator (or an admin) may discard it. */
export class NotDraftOwnerError extends coded('NOT_DRAFT_OWNER') {}
/** The payload an approver was shown (by its digest) is no longer the draft's payload. */
export class PayloadChangedError extends coded('DRAFT_PAYLOAD_CHANGED') {}
/** A rejected draft takes no signature and is not published until its author resubmits it. */
export class DraftRejectedError extends coded('DRAFT_REJECTED') {}
/** A rejection needs a comment saying why (the author reads it). */
export class RejectionCommentError extends coded('REJECTION_COMMENT_REQUIRED') {}
/** Only the draft's author may resubmit it; its author may not reject it (they discard it). */
export class NotDraftReviewerError extends coded('NOT_DRAFT_REVIEWER') {}

const DRAFT_ID = /^d\d{8}t\d{6}-[0-9a-f]{8}$/;

/** Who acts on a draft, when the request came through an account session. */
export interface DraftActor {
  username: string;
  /** The account's main role. */
  role: string;
  /** Every role of the account (default: `role` alone). */
  roles?: readonly string[];
}

/** Every role of an actor. */
export const actorRoles = (by: DraftActor): readonly string[] => by.roles ?? [by.role];

/**
 * Refuses (FORBIDDEN) an account none of whose roles allows what acting on a draft of this kind
 * needs: every client (dashboard, CLI) reaches the same rule here.
 */
function mayActOn(
  rec: Pick<DraftRecord, 'id' | 'kind'>,
  by: DraftActor,
  needs: Record<DraftKind, Action>,
  doing: string,
): void {
  const action = needs[rec.kind];
  const roles = actorRoles(by);
  if (!isAllowed(roles, action))
    throw new ForbiddenError(
      `${by.username} (role ${roles.join('+')}) may not ${doing} ${rec.kind} draft ${rec.id}: that needs ${action}`,
    );
}

/** How a draft is made beyond its content (defaults: a content draft with no deadline). */
export interface CreateDraftOptions {
  kind?: DraftKind;
  /** Emergency drafts: how long approvers have, from creation. */
  approveWithinMs?: number;
  /** A draft that restores a published version (see DraftService.restore). */
  restored?: DraftRestore;
}

export interface DraftServiceOptions {
  repo: TufRepository;
  clock: Clock;
  log?: Logger;
  /** Told after each publication (the server then tells the site group's devices to refresh). */
  onPublished?: (result: PublishResult) => void;
  /** Told when a draft starts waiting for signatures: created, or resubmitted after a rejection. */
  onPending?: (draft: DraftView) => void;
  /**
   * The accounts' registered keys: required for signatures that come with an account. Without it
   * (the standalone `gatecast repo serve` with its bearer token, the CLI's --repo mode) there are
   * no accounts, and signatures are judged by their key alone, as they always were there.
   */
  keyOwners?: KeyOwners;
  /**
   * What the screens of a site group can play (their largest reported screen, the bitrate cap):
   * uploads are normalised to it. Default: 1920×1080, 8 Mbit/s.
   */
  mediaLimits?: (siteGroup: string) => MediaLimits;
  /**
   * Whether an emergency was ended early (docs/drafts.md §7): it is off the screens though its
   * signed bundle still lists it unexpired. Without it (no server), only expiry ends emergencies.
   */
  endedEarly?: (siteGroup: string, emergencyId: string) => boolean;
}

/** Draft operations, shared by the HTTP routes and the CLI's local (`--repo`) mode. */
export class DraftService {
  readonly #repo: TufRepository;
  readonly #clock: Clock;
  readonly #log: Logger;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(opts: DraftServiceOptions) {
    this.#repo = opts.repo;
    this.#clock = opts.clock;
    this.#log = opts.log ?? createLogger('sync-server:drafts');
    this.#onPublished = opts.onPublished;
    this.#onPending = opts.onPending;
    this.#keyOwners = opts.keyOwners;
    this.#mediaLimits = opts.mediaLimits ?? (() => DEFAULT_MEDIA_LIMITS);
    this.#endedEarly = opts.endedEarly ?? (() => false);
  }

  readonly #endedEarly: (siteGroup: string, emergencyId: string) => boolean;

  /**
   * The emergencies of `list` (a published bundle's) that are on the screens at `now`: unexpired
   * and not ended early. The one rule every draft that carries emergencies forward follows, so an
   * ended one never comes back and is never described as on air.
   */
  emergenciesOnAir<E extends { id: string; expiresAt: string }>(
    siteGroup: string,
    list: readonly E[],
    now: number,
  ): E[] {
    return list.filter((e) => Date.parse(e.expiresAt) > now && !this.#endedEarly(siteGroup, e.id));
  }

  readonly #mediaLimits: (siteGroup: string) => MediaLimits;
  readonly #jobs = new MediaJobs();

  readonly #onPublished: ((result: PublishResult) => void) | undefined;
  readonly #onPending: ((draft: DraftView) => void) | undefined;

  #tellPending(view: DraftView): void {
    try {
      this.#onPending?.(view);
    } catch (err) {
      this.#log.error('pending-draft listener failed', { id: view.id, err });
    }
  }
  readonly #keyOwners: KeyOwners | undefined;

  get #dir() {
    return this.#repo.layout.draftsDir;
  }

  #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  #draftDir(id: string): string {
    if (!DRAFT_ID.test(id)) throw new DraftNotFoundError(`no draft "${id}"`);
    return join(this.#dir, id);
  }

  async #load(id: string): Promise<DraftRecord> {
    const path = join(this.#draftDir(id), 'draft.json');
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      throw new DraftNotFoundError(`no draft "${id}"`, { cause: err });
    }
    return DraftRecord.parse(JSON.parse(text));
  }

  async #save(rec: DraftRecord): Promise<void> {
    await writeFileAtomic(join(this.#draftDir(rec.id), 'draft.json'), `${JSON.stringify(rec, null, 1)}\n`);
  }

  #stagedPath(id: string, sha256: string): string {
    return join(this.#draftDir(id), 'files', sha256);
  }

  async #isPresent(rec: DraftRecord, f: DraftFile): Promise<boolean> {
    const staged = this.#stagedPath(rec.id, f.sha256);
    const published = join(this.#repo.layout.targetsDir, hashedTargetPath(f.path, f.sha256));
    for (const p of [staged, published]) if (await exists(p)) return true;
    return false;
  }

  async #view(rec: DraftRecord): Promise<DraftView> {
    const d = this.#repo.delegation(rec.siteGroup);
    const stale = await this.#staleness(rec);
    const files = await Promise.all(
      rec.files.map(async (f) => ({ ...f, present: await this.#isPresent(rec, f) })),
    );
    return {
      id: rec.id,
      siteGroup: rec.siteGroup,
      status: rec.status,
      createdAt: rec.createdAt,
      version: Number(rec.signed['version']),
      ...(rec.label !== undefined ? { label: rec.label } : {}),
      threshold: d.threshold,
      approverKeyIds: d.keyIds,
      signedBy: rec.signatures.map((s) => s.keyid),
      signatures: rec.signatures.map((s) => ({ keyid: s.keyid, at: s.at, ...(s.by ? { by: s.by } : {}) })),
      ...(rec.createdBy ? { createdBy: rec.createdBy } : {}),
      files,
      missing: files.filter((f) => !f.present).map((f) => f.path),
      signed: rec.signed,
      ...(rec.publishedAt ? { publishedAt: rec.publishedAt } : {}),
      kind: rec.kind,
      ...(rec.approveBy ? { approveBy: rec.approveBy } : {}),
      basedOnVersion: baseOf(rec),
      ...(rec.note !== undefined ? { note: rec.note } : {}),
      ...(stale ? { stale } : {}),
      ...(rec.restored ? { restored: rec.restored } : {}),
      rejections: rec.rejections.map(({ voided, ...r }) => ({ ...r, voidedSignatures: voided.length })),
      ...(rec.media?.length
        ? {
            media: rec.media.map(({ original: { stored: _stored, ...original }, ...m }) => ({
              ...m,
              original,
            })),
          }
        : {}),
      ...(this.#jobs.of(rec.id).length ? { jobs: this.#jobs.of(rec.id) } : {}),
    };
  }

  /**
   * DraftBaseStaleError for `draft` (the manifest of a draft of `siteGroup` made from version
   * `basedOnVersion`) now that another version is on air: what that version changed and what the
   * draft would undo.
   */
  async staleError(
    siteGroup: string,
    basedOnVersion: number | null,
    draft: BundleManifest,
    message: string,
    /** The refusal in a person's language (the dashboard's), from the difference. */
    messages?: (d: ThreeWayDiff) => (lang: string) => string | undefined,
  ): Promise<DraftBaseStaleError> {
    const difference = await staleDifference(this.#repo, siteGroup, basedOnVersion, draft, this.#clock.now());
    return new DraftBaseStaleError(message, difference, messages?.(difference));
  }

  /**
   * The one rule for an out-of-date draft (the dashboard, the API and the CLI all read it from the
   * draft's view): unpublished, and made from version N while a newer version M is on air, or
   * carrying an emergency message that is no longer on air (emergenciesOnAir: expired or ended
   * early). Such a draft cannot go on air as it is; its author rebases it or discards it.
   */
  async #staleness(rec: DraftRecord): Promise<DraftStale | undefined> {
    if (rec.status === 'published') return undefined;
    const basedOnVersion = baseOf(rec);
    const onAirVersion = this.#repo.roleMetadata(rec.siteGroup)?.signed.version ?? 0;
    const carried = (await this.#stagedManifest(rec))?.emergencies ?? [];
    const live = new Set(this.emergenciesOnAir(rec.siteGroup, carried, this.#clock.now()).map((e) => e.id));
    const endedEmergencies = carried.filter((e) => !live.has(e.id)).map((e) => e.id);
    if (onAirVersion <= basedOnVersion && !endedEmergencies.length) return undefined;
    return { basedOnVersion, onAirVersion, endedEmergencies };
  }

  /**
   * The same rule (#staleness) where a draft moves on: one carrying an emergency that is no longer
   * on air is neither sent for approval again nor published.
   */
  async #refuseEndedEmergencies(rec: DraftRecord, what: string): Promise<void> {
    const ended = (await this.#staleness(rec))?.endedEmergencies ?? [];
    if (!ended.length) return;
    throw new DraftEmergencyNotOnAirError(
      `draft ${rec.id} carries ${ended.length === 1 ? 'emergency' : 'emergencies'} ${ended.join(', ')}, no longer on air (expired or ended early): ${what}`,
      ended,
    );
  }

  /** The staged bundle.json of an unpublished draft (undefined when unreadable: logged). */
  async #stagedManifest(rec: DraftRecord): Promise<BundleManifest | undefined> {
    try {
      const bytes = await readFile(this.#stagedPath(rec.id, rec.manifest.sha256), 'utf8');
      return parseBundleManifest(JSON.parse(bytes));
    } catch (err) {
      this.#log.warn('staged bundle.json unreadable', { id: rec.id, err });
      return undefined;
    }
  }

  /** What rebasing draft `id` on the version on air does (the author confirms it before). */
  async rebaseDifference(id: string): Promise<ThreeWayDiff> {
    const rec = await this.#load(id);
    return (await this.#rebaseInput(rec)).diff;
  }

  async #rebaseInput(rec: DraftRecord, resolutions: Readonly<Record<string, Resolution>> = {}) {
    if (rec.status === 'published')
      throw new DraftStateError(`draft ${rec.id} is published; there is nothing to rebase`);
    const draft = await this.#stagedManifest(rec);
    if (!draft) throw new DraftStateError(`draft ${rec.id} has no readable bundle.json`);
    const now = this.#clock.now();
    return rebaseInput(
      this.#repo,
      rec,
      draft,
      now,
      (list) => this.emergenciesOnAir(rec.siteGroup, list, now),
      resolutions,
    );
  }

  /**
   * Its author brings a sent-back draft that is out of date (#staleness) up to the version on air,
   * having seen the three-way difference (rebaseDifference): entries the author left alone take
   * the on-air value, the author's own changes stay, emergencies no longer on air are dropped, and
   * each entry changed on both sides takes the author's choice in `resolutions` (by `section:id`),
   * else DraftRebaseConflictError lists them and nothing changes. The draft stays sent back, with
   * its rejections, until its author resubmits it.
   */
  rebase(
    id: string,
    resolutions: Readonly<Record<string, Resolution>>,
    by: DraftActor | undefined,
    /** The conflict's refusal in a person's language (the dashboard's). */
    messages?: (count: number) => (lang: string) => string | undefined,
  ): Promise<DraftView> {
    return this.#exclusive(async () => {
      const rec = await this.#load(id);
      if (by) mayActOn(rec, by, { content: 'draft.submit', emergency: 'emergency.create' }, 'rebase');
      if (by && rec.createdBy !== undefined && rec.createdBy !== by.username)
        throw new NotDraftReviewerError(`only ${rec.createdBy}, who created draft ${id}, may rebase it`);
      if (rec.status !== 'rejected')
        throw new DraftStateError(
          `draft ${id} is ${rec.status}; only a draft sent back to its author is rebased`,
        );
      const stale = await this.#staleness(rec);
      if (!stale)
        throw new DraftStateError(
          `draft ${id} is made from version ${baseOf(rec)}, the one on air; nothing to rebase`,
        );
      const { manifest, diff, unresolved, onAirVersion, onAirMd } = await this.#rebaseInput(rec, resolutions);
      if (unresolved.length)
        throw new DraftRebaseConflictError(
          `draft ${id} was not rebased: ${unresolved.length} entr${unresolved.length === 1 ? 'y' : 'ies'} changed on both sides`,
          diff,
          unresolved,
          messages?.(unresolved.length),
        );
      const final: BundleManifest = { ...manifest, createdAt: tufTime(this.#clock.now()) };
      const text = `${JSON.stringify(final, null, 2)}\n`;
      const { manifestFile, files, problems } = rebasedFiles(rec, final, text, onAirMd?.signed.targets);
      if (problems.length) throw new DraftError(`draft ${id} was not rebased`, problems);
      await writeFileAtomic(this.#stagedPath(id, manifestFile.sha256), Buffer.from(text, 'utf8'));
      const from = baseOf(rec);
      rec.manifest = manifestFile;
      rec.files = files;
      rec.signed = this.#repo.buildRoleMetadata(rec.siteGroup, [manifestFile, ...files]).signed.toJSON();
      rec.signatures = [];
      rec.basedOnVersion = onAirVersion;
      if (final.label !== undefined) rec.label = final.label;
      else delete rec.label;
      if (rec.media) rec.media = rec.media.filter((m) => files.some((f) => f.path === m.path));
      await this.#save(rec);
      this.#log.info('draft rebased', {
        id,
        from,
        to: onAirVersion,
        droppedEmergencies: diff.endedEmergencies,
        by: by?.username,
      });
      return this.#view(rec);
    });
  }

  /**
   * Checks the manifest and file list (DraftError lists every problem, naming file and rule),
   * stages bundle.json and records the unsigned next version of the site group's role.
   * Files already published with the same bytes need no upload.
   */
  create(req: CreateDraftRequest, by?: DraftActor, opts: CreateDraftOptions = {}): Promise<DraftView> {
    return this.#exclusive(async () => {
      this.#repo.delegation(req.siteGroup);
      const { problems, manifest } = checkDraft(req.siteGroup, req.manifest, req.files);
      if (problems.length || !manifest)
        throw new DraftError(`draft for "${req.siteGroup}" refused`, problems);
      const onAirVersion = this.#repo.roleMetadata(req.siteGroup)?.signed.version ?? 0;
      const basedOnVersion = req.basedOnVersion ?? onAirVersion;
      if (basedOnVersion !== onAirVersion)
        throw await this.staleError(
          req.siteGroup,
          basedOnVersion,
          manifest,
          `draft for "${req.siteGroup}" refused: it was made from version ${basedOnVersion}, version ${onAirVersion} is on air`,
        );
      const manifestBytes = Buffer.from(req.manifest, 'utf8');
      const manifestFile: DraftFile = {
        path: `${req.siteGroup}/${BUNDLE_MANIFEST_NAME}`,
        length: manifestBytes.length,
        sha256: sha256Hex(manifestBytes),
      };
      const md = this.#repo.buildRoleMetadata(req.siteGroup, [manifestFile, ...req.files]);
      const now = this.#clock.now();
      const id = `d${tufTime(now).slice(0, 19).replace(/[-:]/g, '').replace('T', 't')}-${randomBytes(4).toString('hex')}`;
      const rec: DraftRecord = {
        schema: 1,
        id,
        siteGroup: req.siteGroup,
        status: 'open',
        createdAt: tufTime(now),
        ...(manifest.label !== undefined ? { label: manifest.label } : {}),
        manifest: manifestFile,
        files: [...req.files],
        signed: md.signed.toJSON(),
        signatures: [],
        ...(by ? { createdBy: by.username } : {}),
        kind: opts.kind ?? 'content',
        basedOnVersion,
        ...(req.note?.trim() ? { note: req.note.trim() } : {}),
        ...(opts.restored ? { restored: opts.restored } : {}),
        rejections: [],
        ...(opts.kind === 'emergency' && opts.approveWithinMs !== undefined
          ? { approveBy: tufTime(now + opts.approveWithinMs) }
          : {}),
      };
      await writeFileAtomic(this.#stagedPath(id, manifestFile.sha256), manifestBytes);
      await this.#save(rec);
      this.#log.info('draft created', {
        id,
        siteGroup: req.siteGroup,
        kind: rec.kind,
        version: md.signed.version,
        files: req.files.length,
      });
      const view = await this.#view(rec);
      this.#tellPending(view);
      return view;
    });
  }

  /**
   * A new content draft whose content is published version `version` of the site group
   * (draft-restore.ts: its media by the hashes that version listed, emergencies no longer on air
   * dropped, those on air now kept), made from the version on air now so it is not stale, and
   * approved like any draft. The draft records which version it restores and what was dropped or
   * kept (`restored`), beside the author's own note.
   */
  async restore(input: RestoreDraftRequest, by?: DraftActor): Promise<DraftView> {
    const req = RestoreDraftRequest.parse(input);
    const { siteGroup, version } = req;
    const now = this.#clock.now();
    const content = await restoreContent(this.#repo, siteGroup, version, now, (list) =>
      this.emergenciesOnAir(siteGroup, list, now),
    );
    const { restored } = content;
    this.#log.info('restoring a published version', {
      siteGroup,
      version,
      onAirVersion: content.onAirVersion,
      dropped: [...restored.expired, ...restored.ended],
      kept: restored.kept,
      summary: restoreSummary(siteGroup, restored),
    });
    return this.create(
      {
        siteGroup,
        manifest: content.manifest,
        files: content.files,
        basedOnVersion: content.onAirVersion,
        ...(req.note?.trim() ? { note: req.note } : {}),
      },
      by,
      { restored },
    );
  }

  /**
   * Sends an open draft back to its author with `comment` (why): it takes no signature and is not
   * published until the author resubmits it, and the signatures collected so far are void (kept in
   * the record as who signed what was rejected, never counted again). Its author may not reject it
   * (they discard it instead); an account holding the admin role may not either (it never approves).
   */
  reject(id: string, comment: string, by: DraftActor): Promise<DraftView> {
    return this.#exclusive(async () => {
      const rec = await this.#load(id);
      if (rec.status !== 'open')
        throw new DraftStateError(`draft ${id} is ${rec.status}; only an open draft can be rejected`);
      const why = comment.trim();
      if (!why)
        throw new RejectionCommentError(`say why draft ${id} is rejected: its author reads the comment`);
      if (why.length > MAX_DRAFT_NOTE_CHARS)
        throw new RejectionCommentError(`a rejection comment has at most ${MAX_DRAFT_NOTE_CHARS} characters`);
      if (rec.createdBy === by.username)
        throw new NotDraftReviewerError(
          `${by.username} created draft ${id}; discard it instead of rejecting it`,
        );
      if (actorRoles(by).includes('admin'))
        throw new NotDraftReviewerError(`${by.username} holds the admin role and does not review drafts`);
      mayActOn(rec, by, { content: 'draft.approve', emergency: 'emergency.approve' }, 'reject');
      rec.rejections.push({
        by: by.username,
        at: tufTime(this.#clock.now()),
        comment: why,
        voided: rec.signatures,
      });
      rec.signatures = [];
      rec.status = 'rejected';
      await this.#save(rec);
      this.#log.info('draft rejected', { id, by: by.username, voided: rec.rejections.at(-1)!.voided.length });
      return this.#view(rec);
    });
  }

  /**
   * The author sends a rejected draft back for approval (optionally with a new note): it opens again
   * with no signatures (those before the rejection stay void), and approvers are told again. A draft
   * whose site group moved on since is refused (DRAFT_BASE_STALE: make a new one from the version on
   * air).
   */
  resubmit(id: string, by: DraftActor | undefined, note?: string): Promise<DraftView> {
    return this.#exclusive(async () => {
      const rec = await this.#load(id);
      if (by) mayActOn(rec, by, { content: 'draft.submit', emergency: 'emergency.create' }, 'resubmit');
      if (rec.status !== 'rejected')
        throw new DraftStateError(`draft ${id} is ${rec.status}; only a rejected draft is resubmitted`);
      if (by && rec.createdBy !== undefined && rec.createdBy !== by.username)
        throw new NotDraftReviewerError(`only ${rec.createdBy}, who created draft ${id}, may resubmit it`);
      const expired = deadlinePassed(rec, this.#clock.now());
      if (expired) throw expired;
      const current = this.#repo.roleMetadata(rec.siteGroup)?.signed.version ?? 0;
      if (Number(rec.signed['version']) !== current + 1)
        throw await this.staleError(
          rec.siteGroup,
          baseOf(rec),
          parseBundleManifest(JSON.parse((await this.manifest(id)).toString('utf8'))),
          `draft ${id} was made from version ${baseOf(rec)} of "${rec.siteGroup}", but version ${current} is on air since; make a new draft`,
        );
      await this.#refuseEndedEmergencies(
        rec,
        'rebase it on the version on air (which drops it) or discard it',
      );
      if (note !== undefined) {
        if (note.length > MAX_DRAFT_NOTE_CHARS)
          throw new DraftError(`draft ${id} not resubmitted`, [
            { path: 'note', message: `at most ${MAX_DRAFT_NOTE_CHARS} characters` },
          ]);
        if (note.trim()) rec.note = note.trim();
        else delete rec.note;
      }
      rec.status = 'open';
      rec.signatures = [];
      await this.#save(rec);
      this.#log.info('draft resubmitted', { id, by: by?.username });
      const view = await this.#view(rec);
      this.#tellPending(view);
      return view;
    });
  }

  async get(id: string): Promise<DraftView> {
    return this.#view(await this.#load(id));
  }

  async list(): Promise<DraftView[]> {
    let names: string[];
    try {
      names = await readdir(this.#dir);
    } catch {
      return []; // no drafts directory yet
    }
    const out: DraftView[] = [];
    for (const n of names.filter((x) => DRAFT_ID.test(x)).sort()) {
      try {
        out.push(await this.get(n));
      } catch (err) {
        this.#log.warn('unreadable draft skipped', { id: n, err });
      }
    }
    return out;
  }

  /**
   * The exact bytes of the draft's bundle.json (approvers read it before signing); once published,
   * the repository's copy of the same bytes.
   */
  async manifest(id: string): Promise<Buffer> {
    const rec = await this.#load(id);
    const staged = this.#stagedPath(id, rec.manifest.sha256);
    if (rec.status === 'open' || (await exists(staged))) return readFile(staged);
    return readFile(
      join(this.#repo.layout.targetsDir, hashedTargetPath(rec.manifest.path, rec.manifest.sha256)),
    );
  }

  /**
   * What an open draft changes against the version on air (protocol/manifest-diff.ts): the
   * approver's view, the same for the dashboard and the CLI. Undefined for a published draft.
   */
  async diff(id: string): Promise<ManifestDiff | undefined> {
    const rec = await this.#load(id);
    if (rec.status !== 'open') return undefined;
    const after = parseBundleManifest(JSON.parse((await this.manifest(id)).toString('utf8')));
    const published = this.#repo.roleMetadata(rec.siteGroup);
    const hashesOf = (t: Record<string, { hashes?: Record<string, string> }>) =>
      Object.fromEntries(Object.entries(t).map(([p, v]) => [p, v.hashes?.['sha256'] ?? '']));
    let before: BundleManifest | undefined;
    const path = bundleManifestPath(rec.siteGroup);
    const sha = published?.signed.targets[path]?.hashes['sha256'];
    if (sha) {
      const bytes = await readFile(join(this.#repo.layout.targetsDir, hashedTargetPath(path, sha)));
      if (createHash('sha256').update(bytes).digest('hex') !== sha)
        throw new DraftStateError(`${path} in the repository does not match its published hash`);
      before = parseBundleManifest(JSON.parse(bytes.toString('utf8')));
    }
    return diffManifests(before, after, {
      before: published ? hashesOf(published.signed.targets as never) : {},
      after: hashesOf(rec.signed['targets'] as never),
    });
  }

  /**
   * Receives one media file's bytes as a stream: refuses a path the draft does not list, stops as
   * soon as more bytes arrive than declared, and checks length and sha256 against what was
   * declared; then checks the bytes by their content and normalises them for the site group's
   * screens (draft-media.ts): the draft's target becomes the normalised file (signatures given
   * before that are dropped: they signed other bytes), the original is kept beside it. A refused
   * file changes nothing.
   */
  async upload(id: string, path: string, body: Readable): Promise<UploadResult> {
    const rec = await this.#load(id);
    if (rec.status !== 'open') throw new DraftStateError(`draft ${id} is already ${rec.status}`);
    const listed = rec.files.find((f) => f.path === path);
    // A file normalised already is declared by its original: the author may send it again.
    const decl = rec.media?.find((m) => m.path === path)?.original ?? listed;
    if (!listed || !decl)
      throw new DraftError(`draft ${id} refused an upload`, [
        { path: `media file ${path}`, message: 'not listed in the draft' },
      ]);
    const dir = join(this.#draftDir(id), 'files');
    await mkdir(dir, { recursive: true });
    const tmp = join(dir, `.upload.${randomBytes(6).toString('hex')}.tmp`);
    const hash = createHash('sha256');
    let received = 0;
    try {
      await pipeline(
        body,
        async function* (source: AsyncIterable<Buffer>) {
          for await (const chunk of source) {
            received += chunk.length;
            if (received > decl.length)
              throw new DraftError(`draft ${id} refused an upload`, [
                { path: `media file ${path}`, message: `more than the declared ${decl.length} bytes` },
              ]);
            hash.update(chunk);
            yield chunk;
          }
        },
        createWriteStream(tmp),
      );
      const sha = hash.digest('hex');
      if (received !== decl.length || sha !== decl.sha256)
        throw new DraftError(`draft ${id} refused an upload`, [
          {
            path: `media file ${path}`,
            message:
              received !== decl.length
                ? `received ${received} bytes, declared ${decl.length}`
                : `sha256 ${sha} does not match the declared ${decl.sha256}`,
          },
        ]);
      const fh = await open(tmp, 'r');
      await fh.sync();
      await fh.close();
    } catch (err) {
      await unlink(tmp).catch(() => undefined); // best effort: the upload already failed
      throw err;
    }
    const job = this.#jobs.start(id, path);
    let staged: Awaited<ReturnType<typeof stageDraftMedia>>;
    try {
      staged = await stageDraftMedia({
        draftDir: this.#draftDir(id),
        path,
        tmp,
        original: { length: decl.length, sha256: decl.sha256 },
        limits: this.#mediaLimits(rec.siteGroup),
        job,
      });
    } catch (err) {
      job.state = 'failed';
      job.message = (err as Error).message;
      this.#log.warn('draft media refused', { id, path, err });
      throw err;
    }
    job.state = 'done';
    job.progress = 1;
    const view = await this.#exclusive(async () => {
      const now = await this.#load(id);
      if (now.status !== 'open') throw new DraftStateError(`draft ${id} is already ${now.status}`);
      const dropped = recordDraftMedia(now, path, staged);
      if (dropped)
        this.#log.warn('signatures dropped: a media file changed under them', { id, path, dropped });
      await this.#save(now);
      return this.#view(now);
    });
    this.#log.info('draft media staged', { id, path, action: staged.entry.action });
    return { path, length: received, missing: view.missing };
  }

  /**
   * Checks and records one approver signature: the signing rules first (signingRefusal: creator,
   * same account twice, emergency deadline), the payload digest the approver was shown, then the
   * key (unknown key, bad signature, duplicate) and, with an account, whose key it is (keyRefusal).
   * Without `keyid`, the site group's approver keys that have not signed yet are tried in turn.
   */
  addSignature(
    id: string,
    upload: SignatureUpload | { keyid?: undefined; sig: string; payloadSha256?: string | undefined },
    by?: DraftActor,
  ): Promise<DraftView> {
    return this.#exclusive(async () => {
      const rec = await this.#load(id);
      if (rec.status === 'rejected') throw rejectedError(rec);
      if (rec.status !== 'open') throw new DraftStateError(`draft ${id} is already ${rec.status}`);
      const refusal = signingRefusal(rec, by?.username, this.#clock.now(), by && actorRoles(by));
      if (refusal) throw refusal;
      if (upload.payloadSha256 !== undefined) {
        const now = sha256Hex(this.#canonicalOf(rec));
        if (now !== upload.payloadSha256)
          throw new PayloadChangedError(
            `draft ${id} changed after it was shown: its payload is now sha256 ${now}, not the ${upload.payloadSha256} that was reviewed; review it again`,
          );
      }
      const sig = { keyid: upload.keyid ?? this.#findSigner(rec, upload.sig), sig: upload.sig };
      this.#repo.checkApproverSignature(rec.siteGroup, this.#metadata(rec), sig);
      if (by) {
        if (!this.#keyOwners)
          throw new KeyNotRegisteredError(
            `signatures from accounts need the account key registry; key ${sig.keyid} cannot be checked`,
          );
        const bad = keyRefusal(
          rec,
          sig.keyid,
          by.username,
          this.#keyOwners.keyOwner(sig.keyid),
          this.#keyOwners.keysOf(by.username),
        );
        if (bad) throw bad;
      }
      rec.signatures.push({
        keyid: sig.keyid,
        sig: sig.sig,
        at: tufTime(this.#clock.now()),
        ...(by ? { by: by.username } : {}),
      });
      await this.#save(rec);
      this.#log.info('draft signed', {
        id,
        keyid: sig.keyid,
        signatures: rec.signatures.length,
        ...(by ? { by: by.username } : {}),
      });
      return this.#view(rec);
    });
  }

  /**
   * The one rule for when a draft goes on air, whichever client gives the signature (the dashboard,
   * `gatecast draft sign` through the publishing API or on a local repository): records it
   * (addSignature) and publishes at once when it meets the threshold and every file is present.
   * When the draft cannot go out (another signature published it a moment ago, the site group moved
   * on), the signature stays and `publishProblem` says why.
   */
  async sign(
    id: string,
    upload: Parameters<DraftService['addSignature']>[1],
    by?: DraftActor,
  ): Promise<SignResult> {
    const before = await this.get(id);
    const draft = await this.addSignature(id, upload, by);
    const keyid =
      draft.signatures.find((s) => !before.signatures.some((b) => b.keyid === s.keyid))?.keyid ??
      upload.keyid ??
      '';
    const out: SignResult = { ...draft, keyid, published: null };
    if (draft.signedBy.length < draft.threshold || draft.missing.length) return out;
    try {
      const published = await this.publish(id);
      this.#log.info('draft published at its threshold', {
        id,
        siteGroup: draft.siteGroup,
        by: by?.username,
      });
      return { ...(await this.get(id)), keyid, published };
    } catch (err) {
      if (!(err instanceof GatecastError)) throw err;
      const now = await this.get(id);
      this.#log.warn('draft at threshold not published', { id, err });
      return {
        ...now,
        keyid,
        published: null,
        ...(now.status !== 'published' ? { publishProblem: { code: err.code, message: err.message } } : {}),
      };
    }
  }

  /** The approver key (not yet used on this draft) whose signature `sig` is; refuses otherwise. */
  #findSigner(rec: DraftRecord, sig: string): string {
    const d = this.#repo.delegation(rec.siteGroup);
    const md = this.#metadata(rec);
    for (const keyid of d.keyIds) {
      if (md.signatures[keyid]) continue;
      try {
        this.#repo.checkApproverSignature(rec.siteGroup, md, { keyid, sig });
        return keyid;
      } catch {
        // not this key: try the next one
      }
    }
    throw new SignatureRejectedError(
      `the signature does not verify with any approver key of "${rec.siteGroup}" that has not signed yet`,
      'bad-signature',
    );
  }

  /**
   * The exact bytes approvers sign: TUF canonical JSON of the draft's `signed` part, as
   * @tufjs/models computes it in Metadata.sign and Key.verifySignature.
   */
  async canonical(id: string): Promise<Buffer> {
    return this.#canonicalOf(await this.#load(id));
  }

  #canonicalOf(rec: DraftRecord): Buffer {
    return Buffer.from(canonicalize(this.#metadata(rec).signed.toJSON()));
  }

  /**
   * Deletes an open draft and its staged files; published drafts stay as the record of who signed.
   * With an account (`by`), only the draft's creator or an admin may discard it: the rule lives here
   * so every API that reaches drafts obeys it. Without one (the standalone bearer-token publishing
   * API, which has no accounts) the token holder may.
   */
  discard(id: string, by?: DraftActor): Promise<void> {
    return this.#exclusive(async () => {
      const rec = await this.#load(id);
      if (by && !actorRoles(by).includes('admin') && rec.createdBy !== by.username)
        throw new NotDraftOwnerError(
          `only ${rec.createdBy ?? 'its creator'} or an admin may discard draft ${id}`,
        );
      if (rec.status === 'published')
        throw new DraftStateError(`draft ${id} is published; only open or rejected drafts can be discarded`);
      await rm(this.#draftDir(id), { recursive: true, force: true });
      await fsyncDir(this.#dir);
      this.#log.info('draft discarded', { id, siteGroup: rec.siteGroup });
    });
  }

  #metadata(rec: DraftRecord): Metadata<Targets> {
    return Metadata.fromJSON(MetadataKind.Targets, {
      signed: rec.signed,
      signatures: rec.signatures.map((s) => ({ keyid: s.keyid, sig: s.sig })),
    } as never);
  }

  /**
   * Publishes once every file is present and the threshold is met; refuses a draft whose site group
   * moved on since it was created (create a new draft then).
   */
  publish(id: string): Promise<PublishResult> {
    return this.#exclusive(async () => {
      const rec = await this.#load(id);
      if (rec.status === 'rejected') throw rejectedError(rec);
      if (rec.status !== 'open') throw new DraftStateError(`draft ${id} is already ${rec.status}`);
      const expired = deadlinePassed(rec, this.#clock.now());
      if (expired) throw expired;
      const view = await this.#view(rec);
      if (view.missing.length)
        throw new DraftStateError(
          `draft ${id}: ${view.missing.length} file(s) not uploaded yet: ${view.missing.slice(0, 5).join(', ')}`,
        );
      const current = this.#repo.roleMetadata(rec.siteGroup)?.signed.version ?? 0;
      if (view.version !== current + 1)
        throw await this.staleError(
          rec.siteGroup,
          baseOf(rec),
          parseBundleManifest(JSON.parse((await this.manifest(id)).toString('utf8'))),
          `draft ${id} was made from version ${baseOf(rec)} of "${rec.siteGroup}", but version ${current} is on air since; rebase it or make a new draft`,
        );
      await this.#refuseEndedEmergencies(rec, 'send it back to its author to rebase, or discard it');
      const sources: TargetSource[] = [];
      for (const f of [rec.manifest, ...rec.files]) {
        const staged = this.#stagedPath(id, f.sha256);
        if (!(await exists(staged))) continue;
        // Checked again by their content as they go on air: nothing undecodable is published.
        if (f !== rec.manifest)
          await probeMedia(staged, f.path, { timeoutMs: this.#mediaLimits(rec.siteGroup).toolTimeoutMs });
        sources.push({ path: f.path, file: staged });
      }
      const res = await this.#repo.publishRole(rec.siteGroup, this.#metadata(rec), sources);
      rec.status = 'published';
      rec.publishedAt = tufTime(this.#clock.now());
      await this.#save(rec);
      // The staged targets are in the repository now; the originals stay as the record.
      await rm(join(this.#draftDir(id), 'files'), { recursive: true, force: true });
      this.#jobs.forget(id);
      const result: PublishResult = { id, siteGroup: rec.siteGroup, ...res };
      try {
        this.#onPublished?.(result);
      } catch (err) {
        this.#log.error('publication listener failed', { id, err });
      }
      return result;
    });
  }
}

/** The refusal of a signature or publication of a rejected draft: who sent it back, and why. */
function rejectedError(rec: DraftRecord): DraftRejectedError {
  const r = rec.rejections.at(-1);
  return new DraftRejectedError(
    `draft ${rec.id} was rejected${r ? ` by ${r.by}: "${r.comment}"` : ''}; its author must resubmit it before it can be signed`,
  );
}
