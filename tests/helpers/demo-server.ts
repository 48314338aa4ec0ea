import { join } from 'node:path';
import { memoryLogger } from '../../platform/log.js';
import type { ServerConfigInput } from '../../sync-server/config/config.js';
import { createDemoRepository } from '../../sync-server/tuf/demo-repository.js';
import type { Role } from '../../sync-server/web/roles.js';
import { createUsers, registerKeys } from './dashboard.js';
import { GATE, startServer } from './sync.js';

/** The demo's gate: Hà Tiên in the four languages of the sample bundle. */
export const DEMO_GATE = { ...GATE, languages: ['vi', 'km', 'en', 'zh-Hans'] };

/**
 * The demo TUF repository in `dir`/tuf (the sample bundle published as version 1 by two approvers),
 * served by a sync server whose devices trust its root. `users` are created first; the approvers
 * among them hold the demo's approver keys, in order.
 */
export async function startDemoServer(
  dir: string,
  opts: { users?: { username: string; role: Role }[]; over?: Partial<ServerConfigInput> } = {},
) {
  const demo = await createDemoRepository({ dir: join(dir, 'tuf'), log: memoryLogger() });
  const users = opts.users ?? [];
  if (users.length > 0) {
    await createUsers(join(dir, 'server'), users);
    const approvers = users.filter((u) => u.role === 'approver');
    await registerKeys(
      join(dir, 'server'),
      approvers.map((u, i) => ({ username: u.username, keyFile: demo.approverKeyFiles[i]! })),
    );
  }
  const server = await startServer(dir, {
    tuf: { repoDir: demo.repoDir },
    trustedRootFile: demo.rootPath,
    gates: [DEMO_GATE],
    ...opts.over,
  });
  return { demo, server };
}
