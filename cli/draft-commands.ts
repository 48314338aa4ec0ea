/**
 * `gatecast draft create|restore|list|show|sign|reject|resubmit|publish|discard|logout`: drafts built from a folder,
 * reviewed and signed on the approver's machine (only the signature leaves it), and published.
 */
import { join } from 'node:path';
import { MultiBar, Presets, SingleBar } from 'cli-progress';
import { type Command, InvalidArgumentError } from 'commander';
import { prepareDraftFromFolder } from '../platform/draft-folder.js';
import { MediaFilesRefusedError, probeMedia } from '../platform/media-probe.js';
import { coded, isGatecastError } from '../protocol/errors.js';
import { diffLines } from '../protocol/manifest-diff.js';
import { type DraftView, restoreSummary } from '../protocol/publish-api.js';
import { loadSigningKey } from '../platform/tuf-keys.js';
import { draftSigningPayload, signDraftPayload, summarisePayload } from '../provisioning/keys.js';
import { HttpPublishClient, PublishApiError, type PublishClient } from '../provisioning/publish-client.js';
import { PUBLISH_ACCESS } from '../sync-server/content/publish-routes.js';
import { loadSession, removeSession, sessionPath } from './publish-session.js';
import {
  fetchFor,
  info,
  out,
  askLine,
  type PublishCliIo,
  type TargetOpts,
  UsageError,
  withClient,
  withTarget,
} from './publish-target.js';

/** The approver answered no when asked to sign. */
export class SigningDeclinedError extends coded('SIGNING_DECLINED') {}

/** The approver's review of a draft: its summary and what it changes against the version on air. */
async function reviewLines(client: PublishClient, d: DraftView): Promise<string[]> {
  const lines = describeDraft(d);
  const diff = await client.diff(d.id);
  if (diff) lines.push(...diffLines(diff));
  return lines;
}

/** Why a draft is out of date (the server's rule, DraftView.stale), as the dashboard says it. */
export function staleText(stale: NonNullable<DraftView['stale']>): string {
  return [
    ...(stale.onAirVersion > stale.basedOnVersion
      ? [`based on version ${stale.basedOnVersion}, version ${stale.onAirVersion} is on air now`]
      : []),
    ...(stale.endedEmergencies.length
      ? [`carries emergency messages no longer on air (${stale.endedEmergencies.join(', ')})`]
      : []),
  ].join('; ');
}

function describeDraft(d: DraftView): string[] {
  const state = d.stale ? `${d.status}, out of date: ${staleText(d.stale)}` : d.status;
  const lines = [
    `draft ${d.id}: ${d.siteGroup} version ${d.version} (${state})${d.label ? ` — ${d.label}` : ''}`,
    `  files: ${d.files.length} media + bundle.json; still to upload: ${d.missing.length}`,
    ...(d.createdBy ? [`  created by: ${d.createdBy}`] : []),
    `  signatures: ${d.signedBy.length}/${d.threshold}${d.signatures.length ? ` (${d.signatures.map((g) => `${g.keyid.slice(0, 12)}${g.by ? ` by ${g.by}` : ''}`).join(', ')})` : ''}`,
  ];
  if (d.note) lines.push(`  note: ${d.note.replace(/\n+/g, ' ')}`);
  if (d.restored) lines.push(`  ${restoreSummary(d.siteGroup, d.restored)}`);
  const sentBack = d.status === 'rejected' ? d.rejections.at(-1) : undefined;
  if (sentBack)
    lines.push(`  sent back by ${sentBack.by} at ${sentBack.at}: ${sentBack.comment.replace(/\n+/g, ' ')}`);
  if (d.stale)
    lines.push(
      d.createdBy
        ? `  waits for ${d.createdBy} to rebase it onto the version on air (dashboard) or discard it`
        : '  cannot go on air as it is: make a new draft from the version on air, or discard it',
    );
  for (const m of d.missing.slice(0, 10)) lines.push(`  missing: ${m}`);
  for (const m of d.media ?? [])
    if (m.normalised)
      lines.push(`  normalised: ${m.path}: ${m.original.description} → ${m.normalised.description}`);
  return lines;
}

/**
 * Every media file of the folder checked by its content before anything is sent (the server checks
 * again). One refused file is the command's error as it is; several are one MEDIA_REFUSED error
 * naming each file with its refusal.
 */
async function checkFolderMedia(files: Map<string, string>): Promise<void> {
  const refused: { path: string; err: Error }[] = [];
  for (const [path, file] of files) {
    try {
      await probeMedia(file, path);
    } catch (err) {
      refused.push({ path, err: err as Error });
    }
  }
  if (refused.length === 1) throw refused[0]!.err;
  if (refused.length > 1)
    throw new MediaFilesRefusedError(
      `${refused.length} media files refused; nothing was sent`,
      refused.map(({ path, err }) => ({
        path,
        message: isGatecastError(err) ? `${err.code}: ${err.message}` : err.message,
      })),
    );
}

/** Prints the server's media jobs of a draft while `work` runs (polled each second). */
async function withJobProgress<T>(client: PublishClient, id: string, work: Promise<T>): Promise<T> {
  const shown = new Map<string, number>();
  const poll = setInterval(() => {
    client
      .getDraft(id)
      .then((d) => {
        for (const j of d.jobs ?? []) {
          if (j.state !== 'normalising') continue;
          const pct = Math.floor(j.progress * 10) * 10;
          if ((shown.get(j.path) ?? -1) >= pct) continue;
          shown.set(j.path, pct);
          info(`normalising ${j.path}: ${pct}%`);
        }
      })
      .catch(() => undefined); // progress is a courtesy: the upload's own result decides
  }, 1000);
  try {
    return await work;
  } finally {
    clearInterval(poll);
  }
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/** The draft a command is about: its argument or --draft (the same one if both are given). */
function draftIdOf(arg: string | undefined, option: string | undefined, command: string): string {
  if (arg && option && arg !== option)
    throw new UsageError(`two drafts given ("${arg}" and --draft ${option}): name one`);
  const id = arg ?? option;
  if (!id) throw new UsageError(`name the draft: gatecast draft ${command} <id>`);
  return id;
}

export function registerDraftCommands(program: Command, io: PublishCliIo): void {
  const draft = program.command('draft').description('Drafts: build from a folder, sign locally, publish');
  /** A subcommand about one draft, named by --draft. */
  const draftCommand = (name: string, description: string) =>
    draft.command(name).description(description).requiredOption('--draft <id>', 'draft id');
  withTarget(
    draft
      .command('create')
      .description('Check a folder (bundle.json + media), create a draft and upload the media it needs')
      .requiredOption('--site-group <group>', 'site group, e.g. kien-giang/ha-tien')
      .requiredOption('--media <dir>', 'folder: target <site-group>/<path> is the file <dir>/<path>')
      .option('--manifest <file>', 'bundle manifest (default <media>/bundle.json)')
      .option('--note <text>', 'note to the approvers (why, what to look at)'),
  ).action(async (o: TargetOpts & { siteGroup: string; media: string; manifest?: string; note?: string }) => {
    const tty = Boolean(process.stderr.isTTY);
    const hashBar = new SingleBar(
      { format: 'checking  [{bar}] {percentage}% | {value}/{total} bytes | {file}', hideCursor: true },
      Presets.shades_classic,
    );
    let hashStarted = false;
    const folder = await prepareDraftFromFolder(o.siteGroup, o.media, o.manifest, {
      onHashProgress: (done, total, file) => {
        if (!tty) return;
        if (!hashStarted) hashBar.start(total, 0, { file });
        hashStarted = true;
        hashBar.update(done, { file });
      },
    }).finally(() => hashStarted && hashBar.stop());
    for (const f of folder.ignored)
      info(`note: ${join(o.media, f)} is not referenced by the manifest; not uploaded`);
    await checkFolderMedia(folder.localFiles);
    await withClient(o, io, PUBLISH_ACCESS.create, async (client) => {
      const d = await client.createDraft({
        ...folder.request,
        ...(o.note !== undefined ? { note: o.note } : {}),
      });
      out(`draft ${d.id} created: ${d.siteGroup} version ${d.version}, ${d.files.length} media files`);
      const toSend = d.missing.map((p) => ({ path: p, file: folder.localFiles.get(p) as string }));
      const sizes = new Map(folder.request.files.map((f) => [f.path, f.length]));
      const total = toSend.reduce((a, f) => a + (sizes.get(f.path) ?? 0), 0);
      info(
        `uploading ${toSend.length} file(s), ${formatBytes(total)}; ${d.files.length - toSend.length} already on the server`,
      );
      const bars = new MultiBar(
        {
          format: '{name} [{bar}] {percentage}% | {value}/{total} bytes',
          hideCursor: true,
          clearOnComplete: false,
        },
        Presets.shades_classic,
      );
      const totalBar = tty ? bars.create(Math.max(total, 1), 0, { name: 'total    ' }) : undefined;
      let sentBefore = 0;
      try {
        for (const f of toSend) {
          const size = sizes.get(f.path) ?? 0;
          const bar = tty
            ? bars.create(Math.max(size, 1), 0, { name: f.path.slice(-40).padEnd(40) })
            : undefined;
          await withJobProgress(
            client,
            d.id,
            client.uploadFile(d.id, f.path, f.file, (n) => {
              bar?.update(n);
              totalBar?.update(sentBefore + n);
            }),
          );
          sentBefore += size;
          if (bar) bars.remove(bar);
          if (!tty) info(`uploaded ${f.path} (${formatBytes(size)})`);
        }
      } catch (err) {
        // A refused file leaves no half-made draft behind.
        bars.stop();
        await client
          .discard(d.id)
          .then(() => info(`draft ${d.id} discarded: a file was refused`))
          .catch((e: unknown) => info(`warning: draft ${d.id} not discarded: ${(e as Error).message}`));
        throw err;
      } finally {
        bars.stop();
      }
      const after = await client.getDraft(d.id);
      for (const l of describeDraft(after)) out(l);
      out(`next: approvers run "gatecast draft sign --draft ${d.id} --key <their .key file>"`);
    });
  });

  withTarget(
    draft
      .command('restore')
      .description(
        "Create a draft whose content is a published version's (approved like any draft); ended or expired emergency messages are left out",
      )
      .requiredOption('--site-group <group>', 'site group, e.g. kien-giang/ha-tien')
      .requiredOption('--version <n>', 'the published version to bring back', (v: string) => {
        if (!/^[1-9]\d*$/.test(v)) throw new InvalidArgumentError(`"${v}" is not a published version number`);
        return Number(v);
      })
      .option('--note <text>', 'note to the approvers (why)'),
  ).action(async (o: TargetOpts & { siteGroup: string; version: number; note?: string }) => {
    await withClient(o, io, PUBLISH_ACCESS.create, async (client) => {
      const d = await client.restoreDraft({
        siteGroup: o.siteGroup,
        version: o.version,
        ...(o.note !== undefined ? { note: o.note } : {}),
      });
      out(`draft ${d.id} created: ${d.siteGroup} version ${d.version} restores version ${o.version}`);
      for (const l of await reviewLines(client, d)) out(l);
      if (d.note) out(`  note: ${d.note.replace(/\n+/g, ' ')}`);
      if (d.restored) out(`  ${restoreSummary(d.siteGroup, d.restored)}`);
      out(`next: approvers run "gatecast draft sign --draft ${d.id} --key <their .key file>"`);
    });
  });

  withTarget(
    draft
      .command('reject [id]')
      .description(
        'Send an open draft back to its author with a comment (approvers); the signatures it has are void',
      )
      .option('--draft <id>', 'draft id (or give it as the argument)')
      .option('--comment <text>', 'why it goes back: its author reads it (required)'),
  ).action(async (arg: string | undefined, o: TargetOpts & { draft?: string; comment?: string }) => {
    const id = draftIdOf(arg, o.draft, 'reject');
    const d = await withClient(o, io, PUBLISH_ACCESS.reject, async (client) => {
      try {
        // An empty comment goes to the server as it is: the rule that a rejection says why is its.
        return await client.reject(id, o.comment ?? '');
      } catch (err) {
        if (
          o.comment === undefined &&
          err instanceof PublishApiError &&
          err.code === 'REJECTION_COMMENT_REQUIRED'
        )
          throw new PublishApiError(err.code, `${err.message} (give --comment TEXT)`, err.status);
        throw err;
      }
    });
    const r = d.rejections.at(-1);
    out(
      `draft ${d.id} sent back${d.createdBy ? ` to ${d.createdBy}` : ''}: ${r ? `${r.voidedSignatures} signature(s) void` : 'rejected'}`,
    );
    out(
      `next: its author resubmits it with "gatecast draft resubmit ${d.id} --note <what changed>", or discards it`,
    );
  });

  withTarget(
    draft
      .command('resubmit [id]')
      .description('Send your rejected draft back for approval, open again without signatures')
      .option('--draft <id>', 'draft id (or give it as the argument)')
      .option('--note <text>', 'new note to the approvers (what changed); replaces the old one'),
  ).action(async (arg: string | undefined, o: TargetOpts & { draft?: string; note?: string }) => {
    const id = draftIdOf(arg, o.draft, 'resubmit');
    const d = await withClient(o, io, PUBLISH_ACCESS.resubmit, (client) => client.resubmit(id, o.note));
    out(
      `draft ${d.id} resubmitted: open for approval again (${d.signedBy.length}/${d.threshold} signatures)`,
    );
    if (d.note) out(`  note: ${d.note.replace(/\n+/g, ' ')}`);
  });

  withTarget(draftCommand('discard', 'Delete an open draft and its uploaded files')).action(
    async (o: TargetOpts & { draft: string }) => {
      await withClient(o, io, PUBLISH_ACCESS.discard, (client) => client.discard(o.draft));
      out(`draft ${o.draft} discarded`);
    },
  );

  withTarget(draft.command('list').description('List drafts')).action(async (o: TargetOpts) => {
    const ds = await withClient(o, io, PUBLISH_ACCESS.read, (client) => client.listDrafts());
    if (!ds.length) out('no drafts');
    for (const d of ds) out(describeDraft(d)[0] as string);
  });

  withTarget(
    draftCommand(
      'show',
      'Show a draft: its files, signatures and the bundle manifest approvers are asked to sign',
    ).option('--manifest', 'also print bundle.json'),
  ).action(async (o: TargetOpts & { draft: string; manifest?: boolean }) => {
    await withClient(o, io, PUBLISH_ACCESS.read, async (client) => {
      const d = await client.getDraft(o.draft);
      for (const l of await reviewLines(client, d)) out(l);
      for (const t of summarisePayload(d.signed).targets)
        out(`  target ${t.path} ${formatBytes(t.length)} sha256:${t.sha256.slice(0, 16)}…`);
      if (o.manifest) out((await client.manifest(o.draft)).toString('utf8'));
    });
  });

  withTarget(
    draftCommand(
      'sign',
      'Show a draft (changes, every target with its length and SHA-256), then sign exactly that payload with your approver key; only the signature leaves this machine',
    )
      .requiredOption('--key <file>', 'your approver private key (<name>.key)')
      .option('--yes', 'sign without asking for confirmation (scripts)'),
  ).action(async (o: TargetOpts & { draft: string; key: string; yes?: boolean }) => {
    const key = await loadSigningKey(o.key);
    const after = await withClient(o, io, PUBLISH_ACCESS.sign, async (client) => {
      const d = await client.getDraft(o.draft);
      if (!d.approverKeyIds.includes(key.keyId))
        throw new UsageError(
          `${o.key} (key ${key.keyId.slice(0, 12)}…) is not an approver key of ${d.siteGroup}`,
        );
      const manifest = await client.manifest(o.draft);
      // The bytes signed are computed here from the payload shown, never taken from the server.
      const payload = draftSigningPayload(d.signed);
      const summary = summarisePayload(d.signed);
      for (const l of await reviewLines(client, d)) out(l);
      out(
        `  payload: version ${summary.version}, expires ${summary.expires}, ${summary.targets.length} target(s):`,
      );
      for (const t of summary.targets) out(`    ${t.path}  ${t.length} bytes  sha256 ${t.sha256}`);
      out(
        `  signing ${payload.bytes.length} bytes, sha256 ${payload.sha256}, with key ${key.name} (${key.keyId})`,
      );
      if (!o.yes) {
        const answer = await askLine(`Sign draft ${d.id} (${d.siteGroup} version ${d.version})? [y/N] `, io);
        if (answer === undefined)
          throw new UsageError('no answer to "Sign?"; give --yes to sign without asking');
        if (!/^y(es)?$/i.test(answer.trim())) throw new SigningDeclinedError(`draft ${d.id} not signed`);
      }
      const sig = signDraftPayload(d.signed, key, { siteGroup: d.siteGroup, manifest });
      return client.addSignature(o.draft, sig);
    });
    out(`signed draft ${o.draft} as ${key.name} (${after.signedBy.length}/${after.threshold} signatures)`);
    // The signature that meets the threshold publishes the draft (the same rule as the dashboard's).
    if (after.published)
      out(
        `threshold met: published ${after.published.siteGroup} version ${after.published.version}: ${after.published.targets} targets, ${after.published.newFiles} new file(s)`,
      );
    else if (after.publishProblem)
      out(`threshold met but not published: ${after.publishProblem.code}: ${after.publishProblem.message}`);
    else if (after.signedBy.length < after.threshold)
      out(`not published yet: ${after.threshold - after.signedBy.length} more signature(s) needed`);
    else
      out(
        `not published yet: ${after.missing.length} file(s) still to upload; publish with "gatecast draft publish --draft ${o.draft}" once they are`,
      );
  });

  withTarget(
    draftCommand(
      'publish',
      'Publish a draft that met its threshold but could not go out when it was signed (files uploaded since)',
    ),
  ).action(async (o: TargetOpts & { draft: string }) => {
    const r = await withClient(o, io, PUBLISH_ACCESS.publish, (client) => client.publish(o.draft));
    out(`published ${r.siteGroup} version ${r.version}: ${r.targets} targets, ${r.newFiles} new file(s)`);
  });

  draft
    .command('logout')
    .description('End the account session kept for --server and --user, and delete its saved file')
    .requiredOption('--server <url>', 'sync server base URL')
    .requiredOption('--user <name>', 'your account on the sync server')
    .option('--ca <file>', 'PEM of the server certificate or CA to trust')
    .action(async (o: TargetOpts & { server: string; user: string }) => {
      const path = sessionPath(io.env, o.server, o.user);
      const saved = await loadSession(path, Date.now());
      await removeSession(path);
      if (!saved) {
        out(`no saved session for ${o.user} at ${o.server}`);
        return;
      }
      const fetchFn = await fetchFor(o);
      await new HttpPublishClient({
        server: o.server,
        session: saved,
        ...(fetchFn ? { fetch: fetchFn } : {}),
      }).logout();
      out(`signed out of ${o.server} as ${o.user}`);
    });
}
