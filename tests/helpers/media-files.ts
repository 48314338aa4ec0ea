/**
 * Real media files made for a test: PNG and JPEG drawn by sharp, an MP4 made by ffmpeg from its
 * test pattern, and things that are not media (a PDF's bytes, a program) under media names.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import sharp from 'sharp';

/** A PNG of `width`×`height` with a gradient and text-like stripes (so it does not compress to nothing). */
export async function makePng(file: string, width: number, height: number, alpha = false): Promise<Buffer> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
    <defs><linearGradient id="g"><stop offset="0" stop-color="#c00"/><stop offset="1" stop-color="#00c"/></linearGradient></defs>
    <rect width="100%" height="100%" fill="url(#g)" ${alpha ? 'fill-opacity="0.6"' : ''}/>
    <text x="10%" y="50%" font-size="${Math.round(height / 8)}" fill="#fff">Chào mừng</text></svg>`;
  const bytes = await sharp(Buffer.from(svg)).png().toBuffer();
  writeFileSync(file, bytes);
  return bytes;
}

export async function makeJpeg(file: string, width: number, height: number): Promise<Buffer> {
  const png = await makePng(`${file}.src.png`, width, height);
  const bytes = await sharp(png).jpeg({ quality: 92 }).toBuffer();
  writeFileSync(file, bytes);
  return bytes;
}

/** An MP4 from ffmpeg's test pattern and a sine tone; `codec` libx264 (default) or mpeg4. */
export function makeVideo(
  file: string,
  o: { width: number; height: number; fps: number; seconds: number; codec?: string; audio?: boolean },
): Buffer {
  execFileSync(
    'ffmpeg',
    [
      '-nostdin',
      '-v',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      `testsrc=size=${o.width}x${o.height}:rate=${o.fps}:duration=${o.seconds}`,
      ...(o.audio === false ? [] : ['-f', 'lavfi', '-i', `sine=frequency=440:duration=${o.seconds}`]),
      '-c:v',
      o.codec ?? 'libx264',
      ...(o.codec && o.codec !== 'libx264' ? ['-q:v', '5'] : ['-preset', 'ultrafast', '-pix_fmt', 'yuv420p']),
      ...(o.audio === false ? [] : ['-c:a', 'aac']),
      '-shortest',
      file,
    ],
    { stdio: 'ignore' },
  );
  return readFileSync(file);
}

/** The start of a real PDF document (header, an object, a trailer) under whatever name. */
export function makePdf(file: string): Buffer {
  const bytes = Buffer.from(
    '%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n',
    'latin1',
  );
  writeFileSync(file, bytes);
  return bytes;
}

/** A real program (an ELF executable of this machine) under whatever name. */
export function makeProgram(file: string): Buffer {
  copyFileSync('/bin/true', file);
  return readFileSync(file);
}

/** A file cut to its first `keep` bytes. */
export function truncateInto(bytes: Buffer, file: string, keep: number): Buffer {
  const cut = bytes.subarray(0, keep);
  writeFileSync(file, cut);
  return cut;
}

export function ffprobeJson(file: string): {
  streams: {
    codec_type: string;
    codec_name: string;
    width?: number;
    height?: number;
    avg_frame_rate?: string;
  }[];
  format: { format_name: string; bit_rate?: string };
} {
  return JSON.parse(
    execFileSync('ffprobe', ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', file], {
      encoding: 'utf8',
    }),
  ) as never;
}
