import { describe, expect, it } from 'vitest';
import type { PublicUser } from '../../../sync-server/accounts/service.js';
import type { DraftReview, DraftSummary } from '../../../sync-server/content/approval-service.js';
import { cliSignCommand, renderDraft, renderDrafts } from '../../../sync-server/content/approval-pages.js';
import { escapeHtml } from '../../../sync-server/web/escape.js';
import { diffManifests } from '../../../protocol/manifest-diff.js';
import { manifest, textItem } from '../../helpers/schedule-fixtures.js';

const HOSTILE = `<script>window.__x=1</script><img src=x onerror=alert(1)>`;
const user = (role: PublicUser['role'], username = 'ap1'): PublicUser =>
  ({ username, displayName: `${username} "<b>"`, role, roles: [role] }) as PublicUser;
const zones = { timezoneOf: () => 'Asia/Ho_Chi_Minh' };

const summary: DraftSummary = {
  id: 'd20261122t055000-0a1b2c3d',
  kind: 'emergency',
  status: 'open',
  siteGroup: 'kien-giang/ha-tien',
  version: 3,
  label: HOSTILE,
  createdBy: 'op',
  createdAt: '2026-11-22T05:50:00Z',
  approveBy: '2026-11-22T06:20:00Z',
  threshold: 2,
  signatures: [{ keyid: 'a'.repeat(64), at: '2026-11-22T05:55:00Z', by: 'ap2' }],
  missing: [],
  rejections: [],
};

function review(): DraftReview {
  const before = manifest();
  const after = manifest({ items: [...before.items.slice(0, 3), { ...textItem('d'), title: HOSTILE }] });
  return {
    draft: {
      ...summary,
      approverKeyIds: [],
      signedBy: [],
      files: [],
      signed: {},
    },
    kind: 'emergency',
    canonical: Buffer.from('{"_type":"targets"}').toString('base64'),
    bundlePath: 'kien-giang/ha-tien/bundle.json',
    bundleSha256: 'b'.repeat(64),
    manifest: Buffer.from(JSON.stringify({ label: HOSTILE })).toString('base64'),
    publishedVersion: 2,
    diff: diffManifests(before, after),
    files: [
      {
        path: 'kien-giang/ha-tien/media/page.html',
        change: 'changed',
        before: {
          sha256: 'c'.repeat(64),
          length: 5,
          type: { mime: 'text/plain', kind: 'text' },
          text: 'old\n',
        },
        after: {
          sha256: 'd'.repeat(64),
          length: HOSTILE.length,
          type: { mime: 'text/html', kind: 'html' },
          text: HOSTILE,
        },
        diff: [
          { op: 'del', text: 'old' },
          { op: 'add', text: HOSTILE },
        ],
      },
    ],
    previous: before,
  };
}

describe('approval pages', () => {
  it('escapes labels and titles in the drafts list and marks a passed deadline', () => {
    const out = renderDrafts(
      'en',
      [summary],
      zones,
      user('approver'),
      'csrf',
      Date.parse('2026-11-22T06:30:00Z'),
    );
    expect(out).not.toContain('<script>window.__x');
    expect(out).not.toContain('<img src=x');
    expect(out).toContain('&lt;script&gt;window.__x=1&lt;/script&gt;');
    expect(out).toContain('deadline passed');
    expect(out).toContain('1/2');
    expect(out).toContain('href="/dashboard/drafts"');
  });

  it('renders the diff and signing panel for an approver, escaped, and only the CLI hint for others', () => {
    const forApprover = renderDraft(
      'vi',
      review(),
      zones,
      user('approver'),
      'csrf',
      'https://signage.example',
      Date.parse('2026-11-22T06:00:00Z'),
    );
    expect(forApprover).toContain('id="sign-form"');
    expect(forApprover).toContain('data-diff="items"');
    expect(forApprover).not.toContain('<img src=x');
    expect(forApprover).toContain(escapeHtml(cliSignCommand(summary.id, 'https://signage.example', 'ap1')));
    // The JSON data block cannot close its script element.
    const block = forApprover.slice(forApprover.indexOf('id="draft-data"'));
    expect(block.slice(0, block.indexOf('</script>'))).not.toContain('<');
    // An operator (no emergency.approve) sees no signing form.
    const forOperator = renderDraft(
      'en',
      review(),
      zones,
      user('operator', 'op'),
      'csrf',
      'https://x',
      Date.parse('2026-11-22T06:00:00Z'),
    );
    expect(forOperator).not.toContain('id="sign-form"');
    expect(forOperator).toContain('id="sign-not-allowed"');
  });
});
