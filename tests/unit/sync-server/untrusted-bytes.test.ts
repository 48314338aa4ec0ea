import { describe, expect, it } from 'vitest';
import { detectType } from '../../../sync-server/web/untrusted-bytes.js';
import { HOSTILE_HTML, PNG_1x1 } from '../../helpers/approval.js';

const b = (s: string) => Buffer.from(s);

describe('detectType', () => {
  it('knows images and videos by their signatures, not their names', () => {
    expect(detectType(PNG_1x1)).toEqual({ mime: 'image/png', kind: 'image' });
    expect(detectType(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10]))).toEqual({
      mime: 'image/jpeg',
      kind: 'image',
    });
    expect(detectType(b('GIF89a\x01\x00'))).toMatchObject({ mime: 'image/gif' });
    expect(detectType(Buffer.concat([b('RIFF'), Buffer.alloc(4), b('WEBPVP8 ')]))).toMatchObject({
      mime: 'image/webp',
    });
    expect(detectType(Buffer.concat([Buffer.from([0, 0, 0, 0x18]), b('ftypmp42')]))).toEqual({
      mime: 'video/mp4',
      kind: 'video',
    });
    expect(detectType(Buffer.from([0x1a, 0x45, 0xdf, 0xa3, 0x9f]))).toEqual({
      mime: 'video/webm',
      kind: 'video',
    });
  });

  it('takes text a browser would render as HTML for HTML, SVG for text, and the rest for bytes', () => {
    expect(detectType(b(HOSTILE_HTML))).toEqual({ mime: 'text/html', kind: 'html' });
    expect(detectType(b('\uFEFF  <div>xin chào</div>'))).toMatchObject({ kind: 'html' });
    expect(detectType(b('var a = 1;\n// <script>alert(1)</script>'))).toMatchObject({ kind: 'html' });
    expect(detectType(b('<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"/>'))).toEqual({
      mime: 'image/svg+xml',
      kind: 'text',
    });
    expect(detectType(b('body { color: red }\n'))).toEqual({ mime: 'text/plain', kind: 'text' });
    expect(detectType(b('Chào mừng'), false)).toMatchObject({ kind: 'text' });
    // A multi-byte character cut at the sniff limit is still text.
    expect(detectType(b('Chào mừng').subarray(0, 4), true)).toMatchObject({ kind: 'text' });
    expect(detectType(Buffer.from([0x00, 0x01, 0x02, 0xff]))).toEqual({
      mime: 'application/octet-stream',
      kind: 'binary',
    });
    expect(detectType(Buffer.from([0xc3, 0x28]))).toMatchObject({ kind: 'binary' });
  });
});
