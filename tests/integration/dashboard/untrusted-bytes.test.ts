import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { approvalRig, HOSTILE_HTML, PNG_1x1, SG } from '../../helpers/approval.js';
import { hashedTargetPath } from '../../../sync-server/tuf/layout.js';
import { cleanupsAfterEach } from '../../helpers/cleanups.js';

const cleanups = cleanupsAfterEach();

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

function expectDownload(res: Response) {
  expect(res.headers.get('content-type')).toBe('application/octet-stream');
  expect(res.headers.get('content-disposition')).toMatch(/^attachment;/);
  expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  expect(res.headers.get('content-security-policy')).toBe("sandbox; default-src 'none'");
}

describe('untrusted bytes on the dashboard origin', () => {
  it('serves TUF targets and metadata as sandboxed downloads, whatever their names', async () => {
    const rig = await approvalRig();
    cleanups.push(rig.close);
    const html = Buffer.from(HOSTILE_HTML);
    const js = Buffer.from("document.title = 'x';\n");
    await rig.tuf.publish({ [`${SG}/media/page.html`]: html, [`${SG}/media/app.js`]: js });
    for (const [path, bytes] of [
      [`${SG}/media/page.html`, html],
      [`${SG}/media/app.js`, js],
    ] as const) {
      const res = await fetch(`${rig.base}/tuf/targets/${hashedTargetPath(path, sha(bytes))}`);
      expect(res.status).toBe(200);
      expectDownload(res);
      expect(Buffer.from(await res.arrayBuffer()).equals(bytes)).toBe(true);
    }
    for (const name of ['timestamp.json', 'root.json', '1.root.json']) {
      const res = await fetch(`${rig.base}/tuf/metadata/${name}`);
      expect(res.status, name).toBe(200);
      expectDownload(res);
      expect(JSON.parse(await res.text()).signed).toBeDefined();
    }
    // Ranges (devices resume downloads) keep the same headers.
    const part = await fetch(
      `${rig.base}/tuf/targets/${hashedTargetPath(`${SG}/media/page.html`, sha(html))}`,
      {
        headers: { range: 'bytes=0-9' },
      },
    );
    expect(part.status).toBe(206);
    expectDownload(part);
  });

  it('serves uploaded media as downloads, and inline only what the bytes prove an image', async () => {
    const rig = await approvalRig();
    cleanups.push(rig.close);
    const [author, viewer] = await rig.logins('author', 'viewer');
    const send = (name: string, bytes: Buffer) =>
      fetch(
        `${rig.base}/api/content/media?siteGroup=${encodeURIComponent(SG)}&name=${encodeURIComponent(name)}`,
        {
          method: 'POST',
          headers: {
            cookie: author.cookie,
            'x-csrf-token': author.csrfToken,
            'content-type': 'application/octet-stream',
          },
          body: new Uint8Array(bytes),
        },
      );
    const upload = async (name: string, bytes: Buffer) => {
      const res = await send(name, bytes);
      expect(res.status, name).toBe(201);
      return ((await res.json()) as { path: string }).path;
    };
    const get = (route: string, path: string) =>
      fetch(`${rig.base}${route}?path=${encodeURIComponent(path)}`, { headers: { cookie: viewer.cookie } });
    const png = await upload('logo.png', PNG_1x1);
    // HTML named .png is refused at upload: typed by its bytes, not its name.
    const fake = await send('anh.png', Buffer.from(HOSTILE_HTML));
    expect(fake.status).toBe(415);
    expect(((await fake.json()) as { error: { code: string } }).error.code).toBe('MEDIA_TYPE_MISMATCH');
    const page = await upload('trang.html', Buffer.from(HOSTILE_HTML));

    for (const p of [png, page]) {
      const res = await get('/api/content/media', p);
      expect(res.status, p).toBe(200);
      expectDownload(res);
    }
    // The view route shows a real PNG inline, sandboxed.
    const img = await get('/api/content/media/view', png);
    expect(img.status).toBe(200);
    expect(img.headers.get('content-type')).toBe('image/png');
    expect(img.headers.get('x-content-type-options')).toBe('nosniff');
    expect(img.headers.get('content-security-policy')).toMatch(/^sandbox; default-src 'none'/);
    expect(Buffer.from(await img.arrayBuffer()).equals(PNG_1x1)).toBe(true);
    // HTML is not an image: not shown inline, no bytes.
    for (const p of [page]) {
      const res = await get('/api/content/media/view', p);
      expect(res.status, p).toBe(415);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('MEDIA_NOT_VIEWABLE');
    }
  });
});
