/**
 * Content approval: what approvers see of a draft (the exact bytes they sign, the bundle hash in
 * them, and what changes against the bundle on air), signing with auto-publication at the
 * threshold, and emergency messages (an emergency-kind draft built from the published bundle).
 * The signing rules themselves (two-person, emergency deadline) live in DraftService, so every
 * path to a signature obeys them.
 */
import { randomBytes } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { Clock } from '../../protocol/clock.js';
import type { GateConfig } from '../../protocol/config.js';
import {
  type BundleManifest,
  bundleManifestPath,
  type Emergency,
  mediaTargets,
  parseBundleManifest,
  SiteGroupId,
} from '../../protocol/content.js';
import { coded, type Problem } from '../../protocol/errors.js';
import type { Logger } from '../../platform/log.js';
import type { ManifestDiff } from '../../protocol/manifest-diff.js';
import type { Resolution, ThreeWayDiff } from '../../protocol/manifest-merge.js';
import {
  type DraftFile,
  type DraftStale,
  type DraftRestore,
  type DraftView,
  MAX_DRAFT_NOTE_CHARS,
  type PublishResult,
} from '../../protocol/publish-api.js';
import { isAllowed } from '../web/roles.js';
import { latestManifest } from './schedule-preview.js';
import { manifestAtVersion } from '../tuf/published-manifest.js';
import { type DraftActor, type DraftService } from '../tuf/drafts.js';
import { hashedTargetPath, repoLayout } from '../tuf/layout.js';
import { type DetectedType, detectFileType } from '../web/untrusted-bytes.js';
import { type DiffLine, lineDiff } from './line-diff.js';
import type { TufRepository } from '../tuf/repository.js';
import { type ScheduleDay, scheduleDay } from './review-schedule.js';
import type { EmergencyEndings } from './emergency-end-service.js';
import { EmergencyNotFoundError, rebaseConflictMessage } from './errors.js';

/** How long approvers have to sign an emergency draft, from its creation. */
export const EMERGENCY_APPROVAL_WINDOW_MS = 30 * 60_000;
export const EMERGENCY_MIN_MINUTES = 5;
export const EMERGENCY_MAX_MINUTES = 1440;
export const EMERGENCY_DEFAULT_MINUTES = 120;

export class EmergencyLanguageError extends coded('EMERGENCY_LANGUAGE_MISSING') {
  constructor(
    message: string,
    readonly problems: Problem[],
  ) {
    super(message);
  }
}
export class NoGateError extends coded('SITE_GROUP_HAS_NO_GATE') {}
export class NoPublishedBundleError extends coded('NO_PUBLISHED_BUNDLE') {}
/** The draft (or the version on air) has no such file. */
export class DraftFileNotFoundError extends coded('DRAFT_FILE_NOT_FOUND') {}

export const SignRequest = z.object({
  sig: z.string().regex(/^[0-9a-f]{128}$/, { message: 'sig must be 64 bytes as lower-case hex' }),
  keyid: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .optional(),
  /** SHA-256 of the canonical bytes the approver reviewed; refused when the draft's payload changed. */
  payloadSha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .optional(),
});
export type SignRequest = z.infer<typeof SignRequest>;

/** An emergency's words per language, as its form (and a template of it) takes them. */
export const EmergencyText = z
  .record(z.string().max(35), z.object({ title: z.string().max(300).optional(), body: z.string().max(4000) }))
  .refine((r) => Object.keys(r).length <= 20, { message: 'at most 20 languages' });

/** How long an emergency stays on air, in minutes, as its form (and a template of it) takes it. */
export const EmergencyDurationMinutes = z
  .number()
  .int()
  .min(EMERGENCY_MIN_MINUTES)
  .max(EMERGENCY_MAX_MINUTES)
  .default(EMERGENCY_DEFAULT_MINUTES);

export const EmergencyRequest = z.object({
  siteGroup: SiteGroupId,
  text: EmergencyText,
  durationMinutes: EmergencyDurationMinutes,
  perLanguageMs: z
    .number()
    .int()
    .min(500)
    .max(24 * 3600_000)
    .optional(),
  /** The author's note to the approvers. */
  note: z.string().max(MAX_DRAFT_NOTE_CHARS).optional(),
});
export type EmergencyRequest = z.input<typeof EmergencyRequest>;

export const EndEmergencyRequest = z.object({ siteGroup: SiteGroupId, id: z.string().min(1).max(64) });

/** One line of the drafts list. */
export interface DraftSummary {
  id: string;
  kind: 'content' | 'emergency';
  status: DraftView['status'];
  siteGroup: string;
  version: number;
  label?: string;
  createdBy?: string;
  createdAt: string;
  approveBy?: string;
  publishedAt?: string;
  threshold: number;
  signatures: DraftView['signatures'];
  missing: string[];
  /** The author's note to the approvers. */
  note?: string;
  /** A draft that restores a published version: which, and what became of its emergency messages. */
  restored?: DraftRestore;
  /** Each time it was sent back to its author, oldest first. */
  rejections: DraftView['rejections'];
  /** Set when it is out of date (DraftService's rule): what it was made from, what is on air. */
  stale?: DraftStale;
}

/**
 * A draft waiting for one account: for its signature (and how long is left, emergencies), or, when
 * `stale` is set, its own out-of-date draft waiting to be rebased or discarded.
 */
export interface WaitingDraft extends DraftSummary {
  /** Emergency drafts: milliseconds left to collect the signatures (never below 0). */
  msLeft?: number;
}

/** Who is asking what waits for them: an account and all its roles. */
export interface Reviewer {
  username: string;
  roles: readonly string[];
}

export const RebaseRequest = z
  .object({ resolutions: z.record(z.string().max(200), z.enum(['mine', 'theirs'])).default({}) })
  .nullish();
export const RejectRequest = z.object({ comment: z.string().max(MAX_DRAFT_NOTE_CHARS) });
export const ResubmitRequest = z.object({ note: z.string().max(MAX_DRAFT_NOTE_CHARS).optional() }).nullish();

/** Text files up to this size are shown (and diffed) on the approval page; larger ones are listed. */
export const MAX_SHOWN_TEXT_BYTES = 256 * 1024;

/** One side (draft or on air) of a file the approvers sign. */
export interface FileSide {
  sha256: string;
  length: number;
  /** The type its bytes are (magic numbers / UTF-8), never the one its name claims; null if absent. */
  type: DetectedType | null;
  /** The text of an HTML/text file up to MAX_SHOWN_TEXT_BYTES. */
  text?: string;
}

/** A media file of the draft (or one it drops), as the approval page shows it. */
export interface ReviewFile {
  path: string;
  /** Against the version on air; null once the draft itself is published. */
  change: 'added' | 'changed' | 'unchanged' | 'removed' | null;
  after: FileSide | null;
  before: FileSide | null;
  /** Line diff of the text before → after (HTML and text files both sides of which are shown). */
  diff?: DiffLine[];
}

export interface DraftReview {
  draft: DraftView;
  kind: 'content' | 'emergency';
  /** Base64 of the exact bytes approvers sign (TUF canonical JSON of `draft.signed`). */
  canonical: string;
  /** The bundle.json target path and its sha256 as listed in the signed targets. */
  bundlePath: string;
  bundleSha256: string;
  /** Base64 of the draft's bundle.json bytes. */
  manifest: string;
  /** The version on air, or null before the first publication. */
  publishedVersion: number | null;
  /** Changes against the bundle on air (null once the draft itself is published). */
  diff: ManifestDiff | null;
  /** Every media file the draft signs (and those it drops), with what its bytes are. */
  files: ReviewFile[];
  /** The bundle on air the draft is compared with (null once published or before the first). */
  previous: BundleManifest | null;
}

export interface SignOutcome {
  draft: DraftView;
  /** The key the signature verified with. */
  keyid: string;
  /** Set when this signature met the threshold and the draft went out. */
  published: PublishResult | null;
  /** Why a draft at its threshold could not be published (e.g. its version is stale). */
  publishProblem?: { code: string; message: string };
}

export interface ActiveEmergency {
  siteGroup: string;
  version: number;
  emergency: Emergency;
  /** Whether it may be ended early (signed with an end commitment; docs/drafts.md §7). */
  endable: boolean;
  /** Set once it was ended early: who ended it and when (the screens' answers: EmergencyEndService.status). */
  endedEarly?: { at: string; by: string };
}

/** One published version of a site group, as the versions list shows it. */
export interface PublishedVersion {
  siteGroup: string;
  version: number;
  label?: string;
  /** When its bundle was made (bundle.json's createdAt). */
  createdAt: string;
  onAir: boolean;
}

/** How many past versions of each site group the versions list shows. */
export const VERSIONS_SHOWN = 10;

export interface EmergencyTarget {
  siteGroup: string;
  gateNames: string[];
  languages: string[];
  threshold: number;
  timezone: string;
}

export interface GateSource {
  list(): GateConfig[];
}

export interface ApprovalServiceOptions {
  repo: TufRepository;
  repoDir: string;
  drafts: DraftService;
  gates: GateSource;
  clock: Clock;
  log: Logger;
  emergencyApprovalWindowMs?: number;
  /** Draws each new emergency's end secret and knows which ended early (docs/drafts.md §7). */
  endings?: EmergencyEndings;
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

export class ApprovalService {
  readonly #o: ApprovalServiceOptions;

  constructor(opts: ApprovalServiceOptions) {
    this.#o = opts;
  }

  get #windowMs(): number {
    return this.#o.emergencyApprovalWindowMs ?? EMERGENCY_APPROVAL_WINDOW_MS;
  }

  /** One draft as DraftService shows it. */
  draft(id: string): Promise<DraftView> {
    return this.#o.drafts.get(id);
  }

  async list(): Promise<DraftSummary[]> {
    return (await this.#o.drafts.list()).map(summarise);
  }

  async review(id: string): Promise<DraftReview> {
    const { drafts, repo } = this.#o;
    const draft = await drafts.get(id);
    const canonical = await drafts.canonical(id);
    const manifestBytes = await drafts.manifest(id);
    const bundlePath = bundleManifestPath(draft.siteGroup);
    const targets = (draft.signed['targets'] ?? {}) as Record<string, { hashes?: { sha256?: string } }>;
    const bundleSha256 = targets[bundlePath]?.hashes?.sha256 ?? '';
    const published = repo.roleMetadata(draft.siteGroup);
    const diff: ManifestDiff | null = (await drafts.diff(id)) ?? null;
    const open = draft.status === 'open';
    const onAir = open && published ? published.signed.targets : {};
    const previous = open
      ? ((await latestManifest(repo, this.#o.repoDir, draft.siteGroup))?.manifest ?? null)
      : null;
    const side = async (f: { path: string; sha256: string; length: number }, which: 'after' | 'before') => {
      const file = await this.#fileOnDisk(id, f.sha256, f.path, which);
      return describeSide(f, file);
    };
    const files: ReviewFile[] = [];
    const seen = new Set<string>();
    for (const f of draft.files) {
      seen.add(f.path);
      const t = onAir[f.path];
      const beforeSha = t?.hashes['sha256'];
      const after = await side(f, 'after');
      const before =
        beforeSha && beforeSha !== f.sha256
          ? await side({ path: f.path, sha256: beforeSha, length: t.length }, 'before')
          : null;
      files.push(
        withDiff({
          path: f.path,
          change: !open ? null : !beforeSha ? 'added' : before ? 'changed' : 'unchanged',
          after,
          before,
        }),
      );
    }
    for (const [path, t] of Object.entries(onAir)) {
      const sha = t.hashes['sha256'];
      if (seen.has(path) || path === bundlePath || !sha) continue;
      files.push({
        path,
        change: 'removed',
        after: null,
        before: await side({ path, sha256: sha, length: t.length }, 'before'),
      });
    }
    return {
      draft,
      kind: draft.kind,
      canonical: canonical.toString('base64'),
      bundlePath,
      bundleSha256,
      manifest: manifestBytes.toString('base64'),
      publishedVersion: published?.signed.version ?? null,
      diff,
      files,
      previous,
    };
  }

  /**
   * A media file of draft `id` for the approval page: `after` is a file the draft lists (staged or
   * already published with the same bytes), `before` the file of that path on air. Its bytes' type
   * decides how the page may show it.
   */
  async openFile(
    id: string,
    path: string,
    which: 'after' | 'before',
  ): Promise<{ file: string; length: number; sha256: string; type: DetectedType }> {
    const draft = await this.#o.drafts.get(id);
    let f: { sha256: string; length: number } | undefined;
    if (which === 'after') f = draft.files.find((x) => x.path === path);
    else {
      const t = this.#o.repo.roleMetadata(draft.siteGroup)?.signed.targets[path];
      const sha256 = t?.hashes['sha256'];
      if (t && sha256 && path !== bundleManifestPath(draft.siteGroup)) f = { sha256, length: t.length };
    }
    const file = f && (await this.#fileOnDisk(id, f.sha256, path, which));
    if (!f || !file)
      throw new DraftFileNotFoundError(
        `draft ${id} has no ${which === 'before' ? 'published ' : ''}file "${path}"`,
      );
    return { file, length: f.length, sha256: f.sha256, type: await detectFileType(file) };
  }

  /** Where the bytes of a file are: staged in the draft (after only) or published in the repository. */
  async #fileOnDisk(
    id: string,
    sha256: string,
    path: string,
    which: 'after' | 'before',
  ): Promise<string | null> {
    const layout = repoLayout(this.#o.repoDir);
    const candidates = [
      ...(which === 'after' && /^d[0-9a-z-]+$/.test(id) ? [join(layout.draftsDir, id, 'files', sha256)] : []),
      join(layout.targetsDir, hashedTargetPath(path, sha256)),
    ];
    for (const c of candidates)
      if (
        await stat(c).then(
          (s) => s.isFile(),
          () => false,
        )
      )
        return c;
    return null;
  }

  /**
   * Records an approver's signature; it publishes at the threshold (DraftService.sign: the same
   * rule for every client).
   */
  async sign(id: string, req: SignRequest, by: DraftActor): Promise<SignOutcome> {
    const digest = req.payloadSha256 ? { payloadSha256: req.payloadSha256 } : {};
    const { keyid, published, publishProblem, ...draft } = await this.#o.drafts.sign(
      id,
      req.keyid ? { keyid: req.keyid, sig: req.sig, ...digest } : { sig: req.sig, ...digest },
      by,
    );
    return { draft, keyid, published, ...(publishProblem ? { publishProblem } : {}) };
  }

  /** Sends an open draft back to its author with a comment (DraftService.reject: the rules). */
  reject(id: string, comment: string, by: DraftActor): Promise<DraftView> {
    return this.#o.drafts.reject(id, comment, by);
  }

  /** The author sends a rejected draft back for approval, without its old signatures. */
  resubmit(id: string, by: DraftActor, note?: string): Promise<DraftView> {
    return this.#o.drafts.resubmit(id, by, note);
  }

  /**
   * The drafts waiting for `who`: their signature, emergencies first (soonest deadline first), then
   * oldest first: open, up to date, still within their deadline, of a kind their roles may approve,
   * not made by them and not signed by them yet. Then their own out-of-date drafts (`stale` says
   * why), which wait for them alone: an out-of-date draft waits for no approver.
   */
  async waitingFor(who: Reviewer): Promise<WaitingDraft[]> {
    const now = this.#o.clock.now();
    const out: WaitingDraft[] = [];
    const own: WaitingDraft[] = [];
    for (const d of await this.#o.drafts.list()) {
      if (d.stale) {
        if (d.createdBy === who.username) own.push(summarise(d));
        continue;
      }
      if (d.status !== 'open') continue;
      if (!isAllowed(who.roles, d.kind === 'emergency' ? 'emergency.approve' : 'draft.approve')) continue;
      if (!isAllowed(who.roles, 'draft.approve')) continue;
      if (d.createdBy === who.username || d.signatures.some((s) => s.by === who.username)) continue;
      const left = d.approveBy === undefined ? undefined : Date.parse(d.approveBy) - now;
      if (left !== undefined && left < 0) continue;
      out.push({ ...summarise(d), ...(left !== undefined ? { msLeft: left } : {}) });
    }
    const rank = (w: WaitingDraft) => (w.msLeft === undefined ? Infinity : w.msLeft);
    return [
      ...out.sort((a, b) => rank(a) - rank(b) || a.createdAt.localeCompare(b.createdAt)),
      ...own.sort((a, b) => a.createdAt.localeCompare(b.createdAt)),
    ];
  }

  /** What rebasing an out-of-date draft on the version on air does (shown before the author confirms). */
  rebaseDifference(id: string): Promise<ThreeWayDiff> {
    return this.#o.drafts.rebaseDifference(id);
  }

  /** Its author brings a sent-back, out-of-date draft up to the version on air (DraftService.rebase). */
  rebase(id: string, resolutions: Readonly<Record<string, Resolution>>, by: DraftActor): Promise<DraftView> {
    return this.#o.drafts.rebase(id, resolutions, by, rebaseConflictMessage);
  }

  /** Deletes an open draft: its creator, or an admin (the rule is DraftService's). */
  async discard(id: string, by: DraftActor): Promise<DraftView> {
    const d = await this.#o.drafts.get(id);
    await this.#o.drafts.discard(id, by);
    return d;
  }

  /**
   * Today at the draft's gate (its first; without one, the site group's zone), hour by hour, by the
   * version on air and by the draft, as the schedule engine plans it. Only for an open draft: once
   * published or rejected there is nothing on air to set it against.
   */
  reviewDay(r: DraftReview, now: number): ScheduleDay | null {
    if (r.draft.status !== 'open') return null;
    const manifest = parseBundleManifest(
      JSON.parse(Buffer.from(r.manifest, 'base64').toString('utf8')) as unknown,
    );
    const siteGroup = r.draft.siteGroup;
    const gate: GateConfig = this.gatesOf(siteGroup)[0] ?? {
      siteGroup,
      name: siteGroup,
      timezone: this.timezoneOf(siteGroup),
      // Which playlist is on air does not depend on the languages; the engine needs one.
      languages: ['vi'],
      missingVariant: { mode: 'skip' },
    };
    return scheduleDay(manifest, r.previous, gate, now);
  }

  /** The zone a site group's times are shown in: its (first) gate's. */
  timezoneOf(siteGroup: string): string {
    return this.gatesOf(siteGroup)[0]?.timezone ?? 'Asia/Ho_Chi_Minh';
  }

  /**
   * Site groups an emergency message can go to: delegated, with a bundle on air and a registered
   * gate; each with its gates' languages (in the gates' order) and its approval threshold.
   */
  emergencySiteGroups(): EmergencyTarget[] {
    const out: EmergencyTarget[] = [];
    for (const g of this.#o.repo.siteGroups()) {
      if (!g.version) continue;
      const gates = this.gatesOf(g.siteGroup);
      if (!gates.length) continue;
      const languages = [...new Set(gates.flatMap((x) => x.languages))];
      out.push({
        siteGroup: g.siteGroup,
        gateNames: gates.map((x) => x.name),
        languages,
        threshold: g.threshold,
        timezone: gates[0]!.timezone,
      });
    }
    return out.sort((a, b) => a.siteGroup.localeCompare(b.siteGroup));
  }

  /** The gates of a site group (usually one). */
  gatesOf(siteGroup: string): GateConfig[] {
    return this.#o.gates.list().filter((g) => g.siteGroup === siteGroup);
  }

  /**
   * Builds an emergency draft: the bundle on air plus this message (starting now, for its duration),
   * with expired messages dropped. Refuses by name each language of the site group's gate(s) that
   * has no text.
   */
  async createEmergency(
    input: EmergencyRequest,
    by: DraftActor,
  ): Promise<{ draft: DraftView; emergency: Emergency }> {
    const req = EmergencyRequest.parse(input);
    const gates = this.gatesOf(req.siteGroup);
    if (!gates.length)
      throw new NoGateError(
        `no gate is registered for site group "${req.siteGroup}"; its languages are unknown`,
      );
    const problems: Problem[] = [];
    const text: Emergency['text'] = {};
    for (const g of gates)
      for (const lang of g.languages) {
        const t = req.text[lang];
        if (!t || !t.body.trim())
          problems.push({
            path: `text.${lang}`,
            message: `no text in "${lang}", a language of gate ${g.name}`,
          });
        else text[lang] = { ...(t.title?.trim() ? { title: t.title.trim() } : {}), body: t.body.trim() };
      }
    if (problems.length)
      throw new EmergencyLanguageError(
        `emergency message for "${req.siteGroup}" needs text in every gate language (${problems.map((p) => p.path.slice(5)).join(', ')} missing)`,
        problems,
      );
    for (const [lang, t] of Object.entries(req.text))
      if (!(lang in text) && t.body.trim())
        text[lang] = { ...(t.title?.trim() ? { title: t.title.trim() } : {}), body: t.body.trim() };
    const now = this.#o.clock.now();
    const stamp = iso(now).slice(0, 16).replace(/[-:]/g, '').replace('T', '-');
    const id = `em-${stamp}-${randomBytes(2).toString('hex')}`;
    const expiresAtMs = now + req.durationMinutes * 60_000;
    // Only the secret's hash is signed: by signing, the approvers agree it may be ended early by it.
    const endCommitment = this.#o.endings?.commit(req.siteGroup, id, expiresAtMs);
    const emergency: Emergency = {
      id,
      text,
      startsAt: iso(now),
      expiresAt: iso(expiresAtMs),
      perLanguageMs: req.perLanguageMs ?? 8000,
      ...(endCommitment ? { endCommitment } : {}),
    };
    const draft = await this.#emergencyDraft(req.siteGroup, by, (list) => [...list, emergency], req.note);
    this.#o.log.info('emergency draft created', {
      id: draft.id,
      siteGroup: req.siteGroup,
      emergency: emergency.id,
    });
    return { draft, emergency };
  }

  /** An emergency draft that takes message `id` off the site group's screens. */
  async endEmergency(siteGroup: string, id: string, by: DraftActor): Promise<DraftView> {
    const active = await this.activeEmergencies(siteGroup);
    if (!active.some((a) => a.emergency.id === id))
      throw new EmergencyNotFoundError(`no active emergency message "${id}" in "${siteGroup}"`);
    return this.#emergencyDraft(siteGroup, by, (list) => list.filter((e) => e.id !== id));
  }

  /** The latest published versions of every site group (newest first), each with its bundle's label. */
  async versions(): Promise<PublishedVersion[]> {
    const { repo, repoDir } = this.#o;
    const out: PublishedVersion[] = [];
    for (const g of repo.siteGroups().sort((a, b) => a.siteGroup.localeCompare(b.siteGroup)))
      for (let v = g.version; v >= Math.max(1, g.version - VERSIONS_SHOWN + 1); v--) {
        const m = await manifestAtVersion(repo, repoDir, g.siteGroup, v);
        if (!m) continue;
        out.push({
          siteGroup: g.siteGroup,
          version: v,
          ...(m.manifest.label !== undefined ? { label: m.manifest.label } : {}),
          createdAt: m.manifest.createdAt,
          onAir: v === g.version,
        });
      }
    return out;
  }

  /** Emergency messages not yet expired in the published bundles (one site group, or all). */
  async activeEmergencies(siteGroup?: string): Promise<ActiveEmergency[]> {
    const { repo, repoDir, clock } = this.#o;
    const now = clock.now();
    const groups = siteGroup ? [siteGroup] : repo.siteGroups().map((g) => g.siteGroup);
    const out: ActiveEmergency[] = [];
    for (const sg of groups) {
      const m = await latestManifest(repo, repoDir, sg);
      if (!m) continue;
      for (const e of m.manifest.emergencies)
        if (Date.parse(e.expiresAt) > now) {
          const endedEarly = this.#o.endings?.endedEarly(sg, e.id);
          out.push({
            siteGroup: sg,
            version: m.version,
            emergency: e,
            endable: e.endCommitment !== undefined && this.#o.endings !== undefined,
            ...(endedEarly ? { endedEarly } : {}),
          });
        }
    }
    return out;
  }

  async #emergencyDraft(
    siteGroup: string,
    by: DraftActor,
    change: (current: Emergency[]) => Emergency[],
    note?: string,
  ): Promise<DraftView> {
    const { repo, repoDir, clock, drafts } = this.#o;
    repo.delegation(siteGroup);
    const latest = await latestManifest(repo, repoDir, siteGroup);
    const md = repo.roleMetadata(siteGroup);
    if (!latest || !md)
      throw new NoPublishedBundleError(
        `site group "${siteGroup}" has no published bundle yet; an emergency message is added to the bundle on air`,
      );
    const now = clock.now();
    // Expired ones and those ended early never come back (docs/drafts.md §2, §7).
    const kept = drafts.emergenciesOnAir(siteGroup, latest.manifest.emergencies, now);
    const manifest: BundleManifest = { ...latest.manifest, createdAt: iso(now), emergencies: change(kept) };
    const files: DraftFile[] = mediaTargets(manifest).map((path) => {
      const t = md.signed.targets[path];
      const sha256 = t?.hashes['sha256'];
      if (!t || !sha256)
        throw new NoPublishedBundleError(`published bundle of "${siteGroup}" lacks media ${path}`);
      return { path, length: t.length, sha256 };
    });
    const text = `${JSON.stringify(manifest, null, 2)}\n`;
    return drafts.create({ siteGroup, manifest: text, files, ...(note ? { note } : {}) }, by, {
      kind: 'emergency',
      approveWithinMs: this.#windowMs,
    });
  }
}

async function describeSide(f: { sha256: string; length: number }, file: string | null): Promise<FileSide> {
  if (!file) return { sha256: f.sha256, length: f.length, type: null };
  const type = await detectFileType(file);
  const shown = (type.kind === 'html' || type.kind === 'text') && f.length <= MAX_SHOWN_TEXT_BYTES;
  return {
    sha256: f.sha256,
    length: f.length,
    type,
    ...(shown ? { text: await readFile(file, 'utf8') } : {}),
  };
}

function withDiff(r: ReviewFile): ReviewFile {
  if (r.after?.text === undefined || r.change === 'unchanged' || r.change === null) return r;
  if (r.before)
    return r.before.text === undefined ? r : { ...r, diff: lineDiff(r.before.text, r.after.text) };
  return { ...r, diff: lineDiff('', r.after.text) };
}

export function summarise(d: DraftView): DraftSummary {
  return {
    id: d.id,
    kind: d.kind,
    status: d.status,
    siteGroup: d.siteGroup,
    version: d.version,
    ...(d.label !== undefined ? { label: d.label } : {}),
    ...(d.createdBy !== undefined ? { createdBy: d.createdBy } : {}),
    createdAt: d.createdAt,
    ...(d.approveBy !== undefined ? { approveBy: d.approveBy } : {}),
    ...(d.publishedAt !== undefined ? { publishedAt: d.publishedAt } : {}),
    threshold: d.threshold,
    signatures: d.signatures,
    missing: d.missing,
    ...(d.note !== undefined ? { note: d.note } : {}),
    ...(d.restored ? { restored: d.restored } : {}),
    rejections: d.rejections,
    ...(d.stale ? { stale: d.stale } : {}),
  };
}
