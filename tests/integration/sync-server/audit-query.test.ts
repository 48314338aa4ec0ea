import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openSqliteAccountStore } from '../../../sync-server/accounts/sqlite-accounts.js';
import type { AuditQuery, NewAuditEntry } from '../../../sync-server/accounts/store.js';
import { cleanupsAfterEach } from '../../helpers/cleanups.js';
import { tempDir } from '../../helpers/temp.js';

const cleanups = cleanupsAfterEach();

function storeWithEntries() {
  const dir = tempDir('audit-query-');
  cleanups.push(dir.cleanup);
  const store = openSqliteAccountStore(join(dir.path, 'accounts.db'));
  cleanups.push(() => store.close());
  const entry = (at: number, actor: string, action: string, outcome: NewAuditEntry['outcome']) =>
    store.appendAudit({ at, actor, action, target: null, ip: null, outcome, details: {} });
  entry(100, 'an', 'session.login', 'ok'); // id 1
  entry(200, 'binh', 'session.login', 'failed'); // id 2
  entry(300, 'an', 'draft.sign', 'ok'); // id 3
  entry(400, 'an', 'session.login', 'denied'); // id 4
  entry(500, 'binh', 'draft.sign', 'ok'); // id 5
  return store;
}

describe('the account audit query', () => {
  const ids = (q: Omit<AuditQuery, 'limit'>, limit = 10) =>
    storeWithEntries()
      .listAudit({ ...q, limit })
      .map((e) => e.id);

  it('lists every entry, newest first, up to the limit', () => {
    expect(ids({})).toEqual([5, 4, 3, 2, 1]);
    expect(ids({}, 2)).toEqual([5, 4]);
  });

  it('applies each filter given: from (inclusive), to (exclusive), actor, action, outcome, beforeId', () => {
    expect(ids({ from: 300 })).toEqual([5, 4, 3]);
    expect(ids({ to: 300 })).toEqual([2, 1]);
    expect(ids({ actor: 'an' })).toEqual([4, 3, 1]);
    expect(ids({ action: 'draft.sign' })).toEqual([5, 3]);
    expect(ids({ outcome: 'ok' })).toEqual([5, 3, 1]);
    expect(ids({ beforeId: 3 })).toEqual([2, 1]);
  });

  it('combines the filters given, all of them at once', () => {
    expect(
      ids({ from: 100, to: 500, actor: 'an', action: 'session.login', outcome: 'ok', beforeId: 4 }),
    ).toEqual([1]);
    expect(ids({ actor: 'binh', outcome: 'ok' })).toEqual([5]);
    expect(ids({ from: 0, to: 0 })).toEqual([]);
  });
});
