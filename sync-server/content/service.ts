/**
 * The authoring workflow behind /api/content: workspaces (the manifest in progress per site group),
 * the media store, the schedule preview and submission as a draft for the approvers.
 *
 * Checks are the draft's own (protocol/publish-api.ts checkDraft), with every media file resolved
 * from the media store or the site group's published targets, so a workspace that saves cleanly
 * submits cleanly.
 */
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { Clock } from '../../protocol/clock.js';
import { DEFAULT_TIMEZONE, type GateConfig } from '../../protocol/config.js';
import {
  BUNDLE_MANIFEST_NAME,
  type BundleManifest,
  mediaReferences,
  parseBundleManifest,
} from '../../protocol/content.js';
import { ContentError, type Problem } from '../../protocol/errors.js';
import type { Logger } from '../../platform/log.js';
import { checkDraft, type DraftFile, type DraftView } from '../../protocol/publish-api.js';
import type { Segment } from '../../protocol/schedule-engine.js';
import { latestManifest, manifestAtVersion, previewSegmentsSliced } from './schedule-preview.js';
import { rebaseManifest, refKey, type Resolution, type ThreeWayDiff } from '../../protocol/manifest-merge.js';
import type { DraftActor, DraftService } from '../tuf/drafts.js';
import { hashedTargetPath, repoLayout } from '../tuf/layout.js';
import type { TufRepository } from '../tuf/repository.js';
import {
  ContentWorkflowError,
  MediaNotFoundError,
  MediaRefusedError,
  RebaseConflictError,
  SiteGroupUnknownError,
  staleBaseMessage,
} from './errors.js';
import { contentTypeOf } from './media-names.js';
import type { MediaRecord, MediaStore, MediaUpload } from './media-store.js';
import type { WorkspaceRecord, WorkspaceStore } from './workspace-store.js';
import { type SubmitProgress, SubmitProgressBoard } from './submit-progress.js';
import { type DetectedType, detectFileType } from '../web/untrusted-bytes.js';
import { MediaRefusal } from '../../platform/media-probe.js';
import { MediaToolError } from '../../platform/media-tools.js';
import { type MediaFileRefusal, mediaFileRefusal, mediaUses } from './media-refusals.js';

/** Whether `err` is a verdict on the file's bytes (not a failure of the server or of the tools' install). */
const isFileRefusal = (err: unknown): boolean =>
  err instanceof MediaRefusal || (err instanceof MediaToolError && !err.notStarted);

const refusedMessage = (files: readonly MediaFileRefusal[]): string =>
  `${files.length} media file(s) refused:\n${files.map((f) => `  - ${f.path}: ${f.message}`).join('\n')}`;

/** The longest preview window. */
export const MAX_PREVIEW_HOURS = 168;

export interface ContentGate {
  name: string;
  timezone: string;
  languages: string[];
  /** False when the server's config lists no gate for the site group (defaults are shown). */
  configured: boolean;
}

export interface SiteGroupSummary {
  siteGroup: string;
  /** Published version of the group's role (0: nothing published). */
  version: number;
  gate: ContentGate;
}

export interface WorkspaceView {
  siteGroup: string;
  /** 0 until the first save. */
  revision: number;
  saved: boolean;
  updatedBy?: string;
  updatedAt?: string;
  /**
   * The version on air the workspace was made from (0: nothing was published yet); null for a
   * workspace saved before the base was recorded. Submitting refuses a base no longer on air.
   */
  basedOnVersion: number | null;
  manifest: Record<string, unknown>;
  gate: ContentGate;
}

export interface PreviewSegment {
  source: Segment['source'];
  playlistId: string;
  playlistName?: string;
  scheduleEntryId?: string;
  emergencyId?: string;
  date?: string;
  startAt: number;
  /** null when open-ended. */
  endAt: number | null;
}

export interface PreviewResult {
  siteGroup: string;
  /** The zone the schedule runs in (the manifest's own, else the gate's). */
  timezone: string;
  languages: string[];
  from: number;
  to: number;
  segments: PreviewSegment[];
}

export interface SubmitResult {
  draft: DraftView;
  link: string;
  uploaded: string[];
  /** Unexpired emergencies of the published bundle that the workspace lacked, kept in the draft. */
  carriedEmergencies: string[];
}

export interface ContentServiceOptions {
  repo: TufRepository;
  repoDir: string;
  drafts: Pick<DraftService, 'create' | 'upload' | 'discard' | 'get' | 'staleError' | 'emergenciesOnAir'>;
  workspaces: WorkspaceStore;
  media: MediaStore;
  gate: (siteGroup: string) => GateConfig | undefined;
  clock: Clock;
  log: Logger;
}

type ResolvedFile = DraftFile & { source: 'upload' | 'published' };

const NOT_IN_DRAFT = /^media file "(.+)" is referenced but not in the draft$/;

export class ContentService {
  constructor(private readonly o: ContentServiceOptions) {}

  readonly #progress = new SubmitProgressBoard();

  #known(siteGroup: string): void {
    if (!this.o.repo.siteGroups().some((g) => g.siteGroup === siteGroup))
      throw new SiteGroupUnknownError(`"${siteGroup}" is not a site group of the repository`);
  }

  gateOf(siteGroup: string): ContentGate & { config: GateConfig } {
    const g = this.o.gate(siteGroup);
    const config: GateConfig = g ?? {
      siteGroup,
      name: siteGroup,
      timezone: DEFAULT_TIMEZONE,
      languages: ['vi'],
      missingVariant: { mode: 'skip' },
    };
    return {
      name: config.name,
      timezone: config.timezone,
      languages: [...config.languages],
      configured: Boolean(g),
      config,
    };
  }

  #gateView(siteGroup: string): ContentGate {
    const { config: _config, ...view } = this.gateOf(siteGroup);
    return view;
  }

  siteGroups(): SiteGroupSummary[] {
    return this.o.repo
      .siteGroups()
      .map((g) => ({ siteGroup: g.siteGroup, version: g.version, gate: this.#gateView(g.siteGroup) }))
      .sort((a, b) => a.siteGroup.localeCompare(b.siteGroup));
  }

  /** The saved workspace, else the latest published manifest, else a starter that already validates. */
  async workspace(siteGroup: string): Promise<WorkspaceView> {
    this.#known(siteGroup);
    const gate = this.#gateView(siteGroup);
    const saved = await this.o.workspaces.load(siteGroup);
    if (saved) return this.#view(saved, gate);
    const latest = await latestManifest(this.o.repo, this.o.repoDir, siteGroup);
    return {
      siteGroup,
      revision: 0,
      saved: false,
      basedOnVersion: latest?.version ?? 0,
      manifest: latest ? structuredClone(latest.manifest) : this.#starter(siteGroup),
      gate,
    };
  }

  #view(rec: WorkspaceRecord, gate: ContentGate): WorkspaceView {
    return {
      siteGroup: rec.siteGroup,
      revision: rec.revision,
      saved: true,
      updatedBy: rec.updatedBy,
      updatedAt: rec.updatedAt,
      basedOnVersion: rec.basedOnVersion,
      manifest: rec.manifest,
      gate,
    };
  }

  /** One text slide with the gate's name in each of its languages, playing all day. */
  #starter(siteGroup: string): Record<string, unknown> {
    const gate = this.gateOf(siteGroup);
    return {
      schema: 1,
      siteGroup,
      createdAt: new Date(this.o.clock.now()).toISOString(),
      items: [
        {
          id: 'gate-name',
          title: gate.name,
          kind: 'text',
          style: 'standard',
          variants: Object.fromEntries(gate.languages.map((l) => [l, { body: gate.name }])),
        },
      ],
      playlists: [
        {
          id: 'main',
          name: 'main',
          entries: [{ itemId: 'gate-name' }],
          languageMode: 'all-in-turn',
          transition: 'cut',
          fadeMs: 400,
        },
      ],
      schedule: { defaultPlaylistId: 'main', entries: [] },
      emergencies: [],
    };
  }

  async #resolve(siteGroup: string, path: string): Promise<ResolvedFile | undefined> {
    if (!path.startsWith(`${siteGroup}/`)) return undefined;
    const up = await this.o.media.lookup(path);
    if (up) return { path, length: up.length, sha256: up.sha256, source: 'upload' };
    const t = this.o.repo.roleMetadata(siteGroup)?.signed.targets[path];
    const sha256 = t?.hashes['sha256'];
    if (t && sha256) return { path, length: t.length, sha256, source: 'published' };
    return undefined;
  }

  /**
   * Every problem of `raw` as the manifest of `siteGroup`: the content model, the site group, and
   * each media path (must be uploaded or already published). Paths name the field
   * (`items.[0].title`, `items.logo.variants.vi.src`).
   */
  async check(
    siteGroup: string,
    raw: unknown,
  ): Promise<{ problems: Problem[]; manifest?: BundleManifest; files: ResolvedFile[] }> {
    // Media are resolved from the raw manifest, so that even a manifest the model refuses has each
    // path that resolves to nothing named in the same answer.
    const files: ResolvedFile[] = [];
    for (const target of new Set(mediaReferences(raw).map((r) => r.target))) {
      const f = await this.#resolve(siteGroup, target);
      if (f) files.push(f);
    }
    const text = JSON.stringify(raw) ?? 'null';
    const res = checkDraft(
      siteGroup,
      text,
      files.map(({ path, length, sha256 }) => ({ path, length, sha256 })),
    );
    const prefix = `${BUNDLE_MANIFEST_NAME}:`;
    const problems = res.problems.map((p) => {
      const m = NOT_IN_DRAFT.exec(p.message);
      return {
        path: p.path.startsWith(prefix) ? p.path.slice(prefix.length) : p.path,
        message: m ? `media file "${m[1]}" is neither uploaded nor published in this site group` : p.message,
      };
    });
    return res.manifest && problems.length === 0
      ? { problems, manifest: res.manifest, files }
      : { problems, files };
  }

  /** The version of `siteGroup` on air (0: nothing published). */
  #onAirVersion(siteGroup: string): number {
    return this.o.repo.roleMetadata(siteGroup)?.signed.version ?? 0;
  }

  /**
   * Saves the workspace at `revision`. The first save records the version it was made from:
   * `basedOnVersion` as the page loaded it (default: the version on air now); later saves keep it.
   */
  async save(
    siteGroup: string,
    revision: number,
    raw: unknown,
    by: DraftActor,
    basedOnVersion?: number,
  ): Promise<WorkspaceView> {
    return this.#store(
      siteGroup,
      revision,
      raw,
      by,
      revision === 0 ? (basedOnVersion ?? this.#onAirVersion(siteGroup)) : undefined,
    );
  }

  async #store(
    siteGroup: string,
    revision: number,
    raw: unknown,
    by: DraftActor,
    basedOnVersion: number | undefined,
  ): Promise<WorkspaceView> {
    this.#known(siteGroup);
    const { problems, manifest } = await this.check(siteGroup, raw);
    if (problems.length || !manifest)
      throw new ContentWorkflowError(`the workspace of "${siteGroup}" was not saved`, problems);
    const rec = await this.o.workspaces.save(
      siteGroup,
      revision,
      structuredClone(manifest) as Record<string, unknown>,
      by.username,
      this.o.clock.now(),
      basedOnVersion,
    );
    this.o.log.info('workspace saved', { siteGroup, revision: rec.revision, by: by.username });
    return this.#view(rec, this.#gateView(siteGroup));
  }

  /** The segments of [from, from + hours) by the device's own schedule engine, in the gate's zone. */
  async preview(siteGroup: string, raw: unknown, from: number, hours: number): Promise<PreviewResult> {
    this.#known(siteGroup);
    if (!Number.isFinite(from) || !Number.isInteger(hours) || hours < 1 || hours > MAX_PREVIEW_HOURS)
      throw new ContentWorkflowError('preview window refused', [
        { path: 'hours', message: `a whole number of hours from 1 to ${MAX_PREVIEW_HOURS}` },
      ]);
    let manifest: BundleManifest;
    try {
      manifest = parseBundleManifest(raw);
    } catch (err) {
      if (err instanceof ContentError)
        throw new ContentWorkflowError('the manifest cannot be previewed', err.problems);
      throw err;
    }
    if (manifest.siteGroup !== siteGroup)
      throw new ContentWorkflowError('the manifest cannot be previewed', [
        { path: 'siteGroup', message: `manifest is for "${manifest.siteGroup}", not "${siteGroup}"` },
      ]);
    const gate = this.gateOf(siteGroup);
    const names = new Map(manifest.playlists.map((p) => [p.id, p.name]));
    const spanMs = hours * 3600_000;
    let segments: Segment[];
    try {
      segments = await previewSegmentsSliced(manifest, gate.config, from, spanMs);
    } catch (err) {
      throw new ContentWorkflowError('the schedule cannot be evaluated', [
        { path: 'schedule', message: (err as Error).message },
      ]);
    }
    return {
      siteGroup,
      timezone: manifest.schedule.timezone ?? gate.timezone,
      languages: gate.languages,
      from,
      to: from + spanMs,
      segments: segments.map((s) => ({
        source: s.source,
        playlistId: s.playlistId,
        ...(names.has(s.playlistId) ? { playlistName: names.get(s.playlistId)! } : {}),
        ...(s.scheduleEntryId ? { scheduleEntryId: s.scheduleEntryId } : {}),
        ...(s.emergencyId ? { emergencyId: s.emergencyId } : {}),
        ...(s.date ? { date: s.date } : {}),
        startAt: s.startAt,
        endAt: Number.isFinite(s.endAt) ? s.endAt : null,
      })),
    };
  }

  /**
   * Turns the saved workspace into a draft: bundle.json with a fresh createdAt, every referenced
   * media file declared with its length and sha256, uploads streamed from the media store for what
   * the repository does not hold yet. Any failure discards the draft: none is left half-made.
   */
  async submit(
    siteGroup: string,
    revision: number | undefined,
    by: DraftActor,
    /** The author's note to the approvers. */
    note?: string,
    /** The page's name for this submission: its media's progress is asked by it (submitProgress). */
    ticket?: string,
  ): Promise<SubmitResult> {
    this.#known(siteGroup);
    const saved = await this.o.workspaces.load(siteGroup);
    if (!saved)
      throw new ContentWorkflowError(`nothing to submit for "${siteGroup}"`, [
        { path: 'workspace', message: 'save the workspace before submitting it' },
      ]);
    if (revision !== undefined && revision !== saved.revision)
      throw new ContentWorkflowError(`nothing submitted for "${siteGroup}"`, [
        {
          path: 'revision',
          message: `the saved workspace is at revision ${saved.revision}, not ${revision}; reload it first`,
        },
      ]);
    const { problems, manifest, files } = await this.check(siteGroup, saved.manifest);
    if (problems.length || !manifest)
      throw new ContentWorkflowError(`the workspace of "${siteGroup}" cannot be submitted`, problems);
    // Made from an older version: as it is, it would undo what the newer one changed (and could
    // bring back an emergency ended since). The author rebases first (see rebase).
    const onAirVersion = this.#onAirVersion(siteGroup);
    if (saved.basedOnVersion !== onAirVersion)
      throw await this.o.drafts.staleError(
        siteGroup,
        saved.basedOnVersion,
        manifest,
        `the workspace of "${siteGroup}" was made from ${saved.basedOnVersion === null ? 'an unrecorded version' : `version ${saved.basedOnVersion}`}, but version ${onAirVersion} is on air; rebase it first`,
        staleBaseMessage,
      );
    // Emergencies have their own flow: one published after this workspace was started must not be
    // taken off the air by this draft, so every unexpired published emergency it lacks is kept.
    const now = this.o.clock.now();
    const latest = await latestManifest(this.o.repo, this.o.repoDir, siteGroup);
    const own = new Set(manifest.emergencies.map((e) => e.id));
    const carried = this.o.drafts
      .emergenciesOnAir(siteGroup, latest?.manifest.emergencies ?? [], now)
      .filter((e) => !own.has(e.id));
    const final = {
      ...manifest,
      createdAt: new Date(now).toISOString(),
      emergencies: [...manifest.emergencies, ...carried],
    };
    const text = `${JSON.stringify(final, null, 2)}\n`;
    const draft = await this.o.drafts.create(
      {
        siteGroup,
        manifest: text,
        files: files.map(({ path, length, sha256 }) => ({ path, length, sha256 })),
        basedOnVersion: onAirVersion,
        ...(note?.trim() ? { note } : {}),
      },
      by,
    );
    const uploaded: string[] = [];
    const board = this.#progress;
    if (ticket)
      board.start({ ticket, by: by.username, siteGroup, draftId: draft.id, paths: draft.missing, at: now });
    // Every file is checked, even after one is refused, so the author hears of each bad one at once;
    // any refusal discards the draft (nothing half-made is left).
    const refused: MediaFileRefusal[] = [];
    try {
      for (const path of draft.missing) {
        if (ticket) board.checking(ticket, path);
        try {
          const { stream } = await this.o.media.open(path);
          await this.o.drafts.upload(draft.id, path, stream);
        } catch (err) {
          if (!isFileRefusal(err)) {
            if (ticket) board.failed(ticket, path, err);
            throw err;
          }
          const refusal = mediaFileRefusal(path, err, mediaUses(saved.manifest, path));
          refused.push(refusal);
          if (ticket) board.failed(ticket, path, err, refusal);
          continue;
        }
        if (ticket) board.done(ticket, path);
        uploaded.push(path);
      }
      if (refused.length)
        throw new MediaRefusedError(
          'MEDIA_REFUSED',
          refused,
          `the workspace of "${siteGroup}" was not submitted: ${refusedMessage(refused)}`,
        );
    } catch (err) {
      if (ticket) board.finish(ticket, 'refused');
      await this.o.drafts
        .discard(draft.id)
        .catch((e: unknown) =>
          this.o.log.error('could not discard a half-made draft', { id: draft.id, err: e }),
        );
      throw err;
    }
    const view = await this.o.drafts.get(draft.id);
    if (ticket) board.finish(ticket, 'submitted', view.media);
    const carriedIds = carried.map((e) => e.id);
    this.o.log.info('workspace submitted', {
      siteGroup,
      draft: draft.id,
      by: by.username,
      uploaded,
      carriedEmergencies: carriedIds,
    });
    return {
      draft: view,
      link: `/dashboard/drafts/${encodeURIComponent(draft.id)}`,
      uploaded,
      carriedEmergencies: carriedIds,
    };
  }

  /**
   * How far the submission `ticket` of account `username` is: each media file waiting, being checked
   * or normalised (with the draft's own progress), done with what it became, or refused and why.
   */
  async submitProgress(ticket: string, username: string): Promise<SubmitProgress | undefined> {
    const id = this.#progress.running(ticket, username);
    const jobs = id
      ? await this.o.drafts.get(id).then(
          (d) => d.jobs ?? [],
          () => [],
        )
      : [];
    return this.#progress.view(ticket, username, jobs);
  }

  /**
   * Rebases the saved workspace (at `revision`) on the version on air, when the author confirms it
   * (protocol/manifest-merge.ts rebaseManifest): entries the author left alone take the on-air
   * value, the author's own changes stay, ended emergencies are dropped, and each entry changed on
   * both sides needs the author's choice in `resolutions` (by `section:id`), else
   * RebaseConflictError lists them and nothing is saved.
   */
  async rebase(
    siteGroup: string,
    revision: number,
    resolutions: Readonly<Record<string, Resolution>>,
    by: DraftActor,
  ): Promise<{ workspace: WorkspaceView; difference: ThreeWayDiff }> {
    this.#known(siteGroup);
    const saved = await this.o.workspaces.load(siteGroup);
    if (!saved)
      throw new ContentWorkflowError(`nothing to rebase for "${siteGroup}"`, [
        { path: 'workspace', message: 'no saved workspace' },
      ]);
    const draft = parseBundleManifest(saved.manifest);
    const onAir = await latestManifest(this.o.repo, this.o.repoDir, siteGroup);
    const onAirVersion = this.#onAirVersion(siteGroup);
    const base =
      saved.basedOnVersion === null
        ? undefined
        : await manifestAtVersion(this.o.repo, this.o.repoDir, siteGroup, saved.basedOnVersion);
    const { manifest, diff, unresolved } = rebaseManifest(
      {
        base: base?.manifest,
        basedOnVersion: saved.basedOnVersion,
        onAir: onAir?.manifest,
        onAirVersion,
        draft,
      },
      resolutions,
      this.o.clock.now(),
    );
    if (unresolved.length)
      throw new RebaseConflictError(
        `the workspace of "${siteGroup}" was not rebased: changed on both sides, choose for each: ${unresolved.map(refKey).join(', ')}`,
        diff,
        unresolved,
      );
    const workspace = await this.#store(siteGroup, revision, manifest, by, onAirVersion);
    this.o.log.info('workspace rebased', {
      siteGroup,
      from: saved.basedOnVersion,
      to: onAirVersion,
      droppedEmergencies: diff.endedEmergencies,
      by: by.username,
    });
    return { workspace, difference: diff };
  }

  /** Stores one upload (see MediaStore.put) for a known site group. */
  async putMedia(u: MediaUpload): Promise<MediaRecord> {
    this.#known(u.siteGroup);
    let rec: MediaRecord;
    try {
      rec = await this.o.media.put(u);
    } catch (err) {
      if (!isFileRefusal(err)) throw err;
      // The check's verdict with what it found as data, so the page says it in its own language.
      const refusal = mediaFileRefusal(u.originalName, err);
      throw new MediaRefusedError(refusal.code, [refusal], (err as Error).message, { cause: err });
    }
    this.o.log.info('media uploaded', { path: rec.path, bytes: rec.length, by: u.uploadedBy });
    return rec;
  }

  /**
   * Bytes of a media file for the browser: an upload, or a published target of the group, with the
   * type its bytes are (never the one its name claims).
   */
  async openMedia(
    path: string,
  ): Promise<{ contentType: string; detected: DetectedType; length: number; stream: Readable }> {
    const up: MediaRecord | undefined = await this.o.media.lookup(path);
    if (up) {
      const { file, stream } = await this.o.media.open(path);
      return { contentType: up.contentType, detected: await detectFileType(file), length: up.length, stream };
    }
    const sg = this.o.repo
      .siteGroups()
      .map((g) => g.siteGroup)
      .find((g) => path.startsWith(`${g}/`));
    const t = sg ? this.o.repo.roleMetadata(sg)?.signed.targets[path] : undefined;
    const sha256 = t?.hashes['sha256'];
    if (!t || !sha256 || path.endsWith(`/${BUNDLE_MANIFEST_NAME}`))
      throw new MediaNotFoundError(`no media file "${path}"`);
    const file = join(repoLayout(this.o.repoDir).targetsDir, hashedTargetPath(path, sha256));
    return {
      contentType: contentTypeOf(path),
      detected: await detectFileType(file),
      length: t.length,
      stream: createReadStream(file),
    };
  }
}
