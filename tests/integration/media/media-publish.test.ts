/**
 * Media checked by their content where they enter and normalised for the screens before anyone
 * signs: a PDF named vi.png is refused by name and type through the dashboard's upload API, the
 * publishing API and `gatecast draft create`, changing nothing; a cut PNG does not decode; a 4K PNG
 * and a 1440p60 MPEG-4 video become a 1920×1080 PNG and an H.264/AAC ≤1080p30 MP4, which are the
 * signed targets, while the originals are kept beside the draft. Real server on 127.0.0.1:0, real
 * TUF repository, real files made by sharp and ffmpeg.
 */
import { createHash } from 'node:crypto';
import { cpSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashedTargetPath } from '../../../sync-server/tuf/layout.js';
import {
  ffprobeJson,
  makePdf,
  makePng,
  makeProgram,
  makeVideo,
  truncateInto,
} from '../../helpers/media-files.js';
import { cliIo, gatecast, login, openDrafts, type Rig, SG, startRig } from '../../helpers/publish-rig.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('media checked by content and normalised at publish', () => {
  let rig: Rig;
  beforeAll(async () => {
    rig = await startRig();
  });
  afterAll(() => rig.stop());

  const mediaDir = () => join(rig.t.path, 'server', 'content', 'media');
  /** `gatecast draft create` of `folder` by the author tam. */
  const draftCreate = (folder: string) =>
    gatecast(
      cliIo(),
      'draft',
      'create',
      '--server',
      rig.base,
      '--user',
      'tam',
      '--site-group',
      SG,
      '--media',
      folder,
    );
  const blobs = () => (existsSync(mediaDir()) ? readdirSync(mediaDir()).sort() : []);

  async function uploadToDashboard(name: string, bytes: Buffer) {
    const author = await login(rig.base, 'tam');
    const res = await fetch(
      `${rig.base}/api/content/media?siteGroup=${encodeURIComponent(SG)}&name=${encodeURIComponent(name)}`,
      {
        method: 'POST',
        headers: {
          cookie: author.cookie,
          'x-csrf-token': author.csrfToken,
          'content-type': 'application/octet-stream',
        },
        body: new Blob([new Uint8Array(bytes)]),
      },
    );
    return {
      status: res.status,
      body: (await res.json()) as {
        error?: { code: string; message: string; files?: { message: string }[] };
      },
    };
  }

  it('refuses a PDF named vi.png, a program named .exe and a cut PNG at the dashboard upload, keeping nothing', async () => {
    const before = blobs();
    const pdf = makePdf(join(rig.t.path, 'vi.png'));
    const r = await uploadToDashboard('vi.png', pdf);
    expect(r.status).toBe(415);
    // The dashboard's session reads it in its language (Vietnamese); the check's words stay beside.
    expect(r.body.error).toMatchObject({
      code: 'MEDIA_TYPE_MISMATCH',
      message: 'vi.png là một tài liệu PDF, không phải một ảnh PNG',
      files: [{ code: 'MEDIA_TYPE_MISMATCH', message: 'vi.png is a PDF document, not a PNG image' }],
    });
    const exe = await uploadToDashboard('setup.exe', makeProgram(join(rig.t.path, 'setup.exe')));
    expect(exe.status).toBe(415);
    expect(exe.body.error?.code).toBe('MEDIA_UNSUPPORTED');
    expect(exe.body.error?.files?.[0]?.message).toMatch(
      /^setup\.exe is an ELF executable \(a program\); \.exe files are not accepted/,
    );
    const png = await makePng(join(rig.t.path, 'map.png'), 640, 360);
    const cut = await uploadToDashboard(
      'map.png',
      truncateInto(png, join(rig.t.path, 'cut.png'), png.length / 2),
    );
    expect(cut.status).toBe(422);
    expect(cut.body.error?.code).toBe('MEDIA_UNDECODABLE');
    expect(cut.body.error?.files?.[0]?.message).toMatch(
      /^map\.png starts like a PNG image but does not decode/,
    );
    expect(blobs()).toEqual(before);
    // The real PNG is taken.
    expect((await uploadToDashboard('map.png', png)).status).toBe(201);
  });

  it('refuses a PDF named vi.png through the publishing API: the draft keeps waiting for the real file', async () => {
    const pdf = readFileSync(join(rig.t.path, 'vi.png'));
    const manifest = readFileSync(join(rig.media, 'bundle.json'), 'utf8');
    const files = readdirSync(join(rig.media, 'media'), { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => {
        const rel = join(e.parentPath, e.name).slice(rig.media.length + 1);
        const bytes = rel === 'media/welcome/vi.png' ? pdf : readFileSync(join(rig.media, rel));
        return { path: `${SG}/${rel}`, length: bytes.length, sha256: sha(bytes) };
      });
    const author = await login(rig.base, 'tam');
    const headers = { cookie: author.cookie, 'x-csrf-token': author.csrfToken };
    const created = await fetch(`${rig.base}/api/publish/drafts`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({ siteGroup: SG, manifest, files }),
    });
    expect(created.status).toBe(201);
    const draft = (await created.json()) as { id: string; missing: string[] };
    const target = `${SG}/media/welcome/vi.png`;
    expect(draft.missing).toContain(target);
    const up = await fetch(`${rig.base}/api/publish/drafts/${draft.id}/files/${target}`, {
      method: 'PUT',
      headers: { ...headers, 'content-type': 'application/octet-stream' },
      body: new Blob([new Uint8Array(pdf)]),
    });
    expect(up.status).toBe(415);
    const body = (await up.json()) as { error: { code: string; message: string } };
    expect(body.error).toEqual(
      expect.objectContaining({
        code: 'MEDIA_TYPE_MISMATCH',
        message: 'vi.png is a PDF document, not a PNG image',
      }),
    );
    const view = await rig.server.server.tuf!.drafts.get(draft.id);
    expect(view.missing).toContain(target);
    const staged = join(rig.demo.repoDir, 'drafts', draft.id, 'files');
    expect(readdirSync(staged).filter((f) => f.startsWith('.'))).toEqual([]);
    expect(readdirSync(staged)).not.toContain(sha(pdf));
    await rig.server.server.tuf!.drafts.discard(draft.id);
  });

  it('refuses a PDF named vi.png through gatecast draft create, leaving no draft', async () => {
    const folder = join(rig.t.path, 'pdf-folder');
    cpSync(rig.media, folder, { recursive: true });
    makePdf(join(folder, 'media', 'welcome', 'vi.png'));
    const before = (await openDrafts(rig)).length;
    await expect(draftCreate(folder)).rejects.toMatchObject({
      code: 'MEDIA_TYPE_MISMATCH',
      message: 'vi.png is a PDF document, not a PNG image',
    });
    expect((await openDrafts(rig)).length).toBe(before);
  });

  it('names every refused file of the folder at once through gatecast draft create, sending nothing', async () => {
    const folder = join(rig.t.path, 'two-bad-folder');
    cpSync(rig.media, folder, { recursive: true });
    makePdf(join(folder, 'media', 'welcome', 'vi.png'));
    const km = join(folder, 'media', 'welcome', 'km.png');
    truncateInto(readFileSync(km), km, 200);
    const before = (await openDrafts(rig)).length;
    const err = await draftCreate(folder).then(
      () => null,
      (e: unknown) => e as { code: string; message: string; problems: { path: string; message: string }[] },
    );
    expect(err?.code).toBe('MEDIA_REFUSED');
    expect(err?.message.split('\n')[0]).toBe('2 media files refused; nothing was sent:');
    expect(err?.problems.map((p) => p.path).sort()).toEqual([
      `${SG}/media/welcome/km.png`,
      `${SG}/media/welcome/vi.png`,
    ]);
    expect(err?.problems.find((p) => p.path.endsWith('vi.png'))?.message).toBe(
      'MEDIA_TYPE_MISMATCH: vi.png is a PDF document, not a PNG image',
    );
    expect(err?.problems.find((p) => p.path.endsWith('km.png'))?.message).toMatch(/^MEDIA_UNDECODABLE: /);
    expect((await openDrafts(rig)).length).toBe(before);
  });

  it('normalises a 4K PNG and a 1440p60 MPEG-4 video: the signed targets are the normalised files, the originals kept', async () => {
    const folder = join(rig.t.path, 'big-folder');
    cpSync(rig.media, folder, { recursive: true });
    const png = await makePng(join(folder, 'media', 'tourism', 'en.png'), 3840, 2160, true);
    const video = makeVideo(join(folder, 'media', 'gate-clip.mp4'), {
      width: 2560,
      height: 1440,
      fps: 50,
      seconds: 1,
      codec: 'mpeg4',
    });
    const created = await draftCreate(folder);
    const id = /draft (\S+) created/.exec(created.out)?.[1] as string;
    expect(created.out).toContain('still to upload: 0');
    expect(created.out).toContain(
      `normalised: ${SG}/media/tourism/en.png: 3840×2160 PNG, ${(png.length / 1e6).toFixed(1)} MB → 1920×1080 PNG`,
    );
    expect(created.out).toMatch(
      /normalised: .*gate-clip\.mp4: 2560×1440 mpeg4\/aac 50 fps MP4.* → 1920×1080 h264\/aac 30 fps MP4/,
    );

    const drafts = rig.server.server.tuf!.drafts;
    const view = await drafts.get(id);
    const pngTarget = `${SG}/media/tourism/en.png`;
    const videoTarget = `${SG}/media/gate-clip.mp4`;
    const signedTargets = view.signed['targets'] as Record<
      string,
      { length: number; hashes: { sha256: string } }
    >;
    const pngFile = view.files.find((f) => f.path === pngTarget)!;
    expect(pngFile.sha256).not.toBe(sha(png));
    expect(signedTargets[pngTarget]).toEqual({ length: pngFile.length, hashes: { sha256: pngFile.sha256 } });
    expect(view.media?.find((m) => m.path === pngTarget)).toMatchObject({
      original: { length: png.length, sha256: sha(png) },
      normalised: { length: pngFile.length, sha256: pngFile.sha256 },
    });
    // The originals are kept beside the draft, not as targets.
    const originals = join(rig.demo.repoDir, 'drafts', id, 'originals');
    expect(readdirSync(originals).sort()).toEqual([sha(png), sha(video)].sort());
    expect(Object.values(signedTargets).map((t) => t.hashes.sha256)).not.toContain(sha(png));

    // Two approvers sign what they were shown; the published targets are the normalised bytes.
    const io = cliIo();
    for (const [user, key] of [
      ['lan', rig.demo.approverKeyFiles[0]!],
      ['minh', rig.demo.approverKeyFiles[1]!],
    ] as const) {
      await gatecast(io, 'keys', 'register', '--server', rig.base, '--user', user, '--key', key);
      await gatecast(
        io,
        'draft',
        'sign',
        '--server',
        rig.base,
        '--user',
        user,
        '--draft',
        id,
        '--key',
        key,
        '--yes',
      );
    }
    const published = rig.server.server.tuf!.repo.roleMetadata(SG)!.signed.targets;
    const onAir = (path: string) =>
      join(rig.demo.repoDir, 'targets', hashedTargetPath(path, published[path]!.hashes['sha256']!));
    expect(published[pngTarget]!.hashes['sha256']).toBe(pngFile.sha256);
    const meta = await sharp(onAir(pngTarget)).metadata();
    expect([meta.format, meta.width, meta.height, meta.hasAlpha]).toEqual(['png', 1920, 1080, true]);
    const probe = ffprobeJson(onAir(videoTarget));
    const v = probe.streams.find((s) => s.codec_type === 'video')!;
    const a = probe.streams.find((s) => s.codec_type === 'audio')!;
    expect(v.codec_name).toBe('h264');
    expect(a.codec_name).toBe('aac');
    expect(v.width! <= 1920 && v.height! <= 1080).toBe(true);
    expect([v.width, v.height]).toEqual([1920, 1080]);
    const [n, d] = v.avg_frame_rate!.split('/').map(Number);
    expect(n! / d!).toBeLessThanOrEqual(30);
    expect(probe.format.format_name).toContain('mp4');
    // Kept after publication, as the record.
    expect(readdirSync(originals).sort()).toEqual([sha(png), sha(video)].sort());
  }, 240_000);
});
