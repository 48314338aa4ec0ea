/**
 * Media are judged by their bytes, decoded for real: a PDF named vi.png, a program named .exe or
 * .png, a cut PNG and a cut MP4 are refused with a named error saying which file and what it is;
 * real images and videos are described by what sharp and ffprobe find.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { probeMedia } from '../../../platform/media-probe.js';
import {
  makeJpeg,
  makePdf,
  makePng,
  makeProgram,
  makeVideo,
  truncateInto,
} from '../../helpers/media-files.js';
import { tempDir } from '../../helpers/temp.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function dir() {
  const t = tempDir('gc-media-probe-');
  cleanups.push(t.cleanup);
  return t.path;
}

const refusal = async (file: string, name: string) => {
  try {
    await probeMedia(file, name);
  } catch (err) {
    return { code: (err as { code?: string }).code, message: (err as Error).message };
  }
  throw new Error(`${name} was accepted`);
};

describe('media checked by content', () => {
  it('names a PDF called vi.png and a program called .exe or .png for what they are', async () => {
    const d = dir();
    makePdf(join(d, 'a'));
    makeProgram(join(d, 'b'));
    expect(await refusal(join(d, 'a'), 'welcome/vi.png')).toEqual({
      code: 'MEDIA_TYPE_MISMATCH',
      message: 'vi.png is a PDF document, not a PNG image',
    });
    expect(await refusal(join(d, 'b'), 'setup.exe')).toMatchObject({
      code: 'MEDIA_UNSUPPORTED',
      message: expect.stringMatching(
        /^setup\.exe is an ELF executable \(a program\); \.exe files are not accepted/,
      ),
    });
    expect(await refusal(join(d, 'b'), 'logo.png')).toEqual({
      code: 'MEDIA_TYPE_MISMATCH',
      message: 'logo.png is an ELF executable (a program), not a PNG image',
    });
  });

  it('refuses a truncated PNG and a truncated MP4 because they do not decode', async () => {
    const d = dir();
    const png = await makePng(join(d, 'full.png'), 640, 360);
    truncateInto(png, join(d, 'cut.png'), Math.floor(png.length / 2));
    const cut = await refusal(join(d, 'cut.png'), 'map.png');
    expect(cut.code).toBe('MEDIA_UNDECODABLE');
    expect(cut.message).toMatch(/^map\.png starts like a PNG image but does not decode/);
    const mp4 = makeVideo(join(d, 'full.mp4'), { width: 320, height: 240, fps: 25, seconds: 2 });
    truncateInto(mp4, join(d, 'cut.mp4'), 2000);
    const v = await refusal(join(d, 'cut.mp4'), 'clip.mp4');
    expect(v.code).toBe('MEDIA_UNDECODABLE');
    expect(v.message).toMatch(/^clip\.mp4 starts like an MP4 video but does not decode/);
  });

  it('describes real images and videos by what they decode to', async () => {
    const d = dir();
    await makePng(join(d, 'a.png'), 800, 600, true);
    await makeJpeg(join(d, 'b.jpg'), 1024, 768);
    makeVideo(join(d, 'c.mp4'), { width: 640, height: 360, fps: 25, seconds: 1 });
    expect(await probeMedia(join(d, 'a.png'), 'a.png')).toMatchObject({
      kind: 'image',
      format: 'png',
      width: 800,
      height: 600,
      hasAlpha: true,
    });
    expect(await probeMedia(join(d, 'b.jpg'), 'b.JPG')).toMatchObject({
      kind: 'image',
      format: 'jpeg',
      width: 1024,
    });
    expect(await probeMedia(join(d, 'c.mp4'), 'c.mp4')).toMatchObject({
      kind: 'video',
      codec: 'h264',
      audioCodec: 'aac',
      width: 640,
      height: 360,
      fps: 25,
    });
  });
});
