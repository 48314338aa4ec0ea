/** A bare Fastify app with session access control over a real accounts database, for route tests. */
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Clock } from '../../protocol/clock.js';
import { memoryLogger } from '../../platform/log.js';
import { installAccessControl } from '../../sync-server/accounts/access-control.js';
import { LoginRateLimiter } from '../../sync-server/accounts/rate-limit.js';
import { AccountService } from '../../sync-server/accounts/service.js';
import { openSqliteAccountStore } from '../../sync-server/accounts/sqlite-accounts.js';
import { type HttpAppOptions, installHttpConventions } from '../../sync-server/web/http-app.js';
import { installSecurityHeaders } from '../../sync-server/web/security-headers.js';
import type { Role } from '../../sync-server/web/roles.js';
import { PASSWORD } from './dashboard.js';
import { TEST_SCRYPT } from './sync.js';
import { tempDir } from './temp.js';

export interface AccountsApp {
  app: FastifyInstance;
  service: AccountService;
  base: string;
  /** Signs `username` in: the session cookie (name=value) and its CSRF token. */
  session(username: string): Promise<{ cookie: string; csrf: string }>;
  close(): Promise<void>;
}

/**
 * An accounts database in a temp folder holding `users` (username: role, password `PASSWORD`) on
 * `clock`, and a Fastify app with the HTTP conventions, (optionally) the security headers and the
 * session access control; `routes` registers what is under test, then the app listens on
 * 127.0.0.1:0. `close()` closes the app and the database and removes the folder.
 */
export async function startAccountsApp(opts: {
  clock: Clock;
  users: Record<string, Role>;
  language?: HttpAppOptions['language'];
  securityHeaders?: boolean;
  routes: (app: FastifyInstance, service: AccountService) => PromiseLike<unknown>;
}): Promise<AccountsApp> {
  const dir = tempDir();
  const store = openSqliteAccountStore(join(dir.path, 'accounts.db'));
  const service = new AccountService(store, opts.clock, new LoginRateLimiter(), memoryLogger(), {
    scrypt: TEST_SCRYPT,
  });
  for (const [username, role] of Object.entries(opts.users))
    await service.createUser(null, { username, displayName: username, role, password: PASSWORD });
  const app = Fastify();
  installHttpConventions(app, {
    log: memoryLogger('http'),
    ...(opts.language && { language: opts.language }),
  });
  if (opts.securityHeaders) installSecurityHeaders(app);
  installAccessControl(app, { service, logger: memoryLogger(), secureCookies: false });
  await opts.routes(app, service);
  await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    app,
    service,
    base: `http://127.0.0.1:${(app.server.address() as { port: number }).port}`,
    session: async (username) => {
      const r = await service.login(username, PASSWORD, { ip: '127.0.0.1', userAgent: 't' });
      return { cookie: `gatecast_session=${r.token}`, csrf: r.csrfToken };
    },
    close: async () => {
      await app.close();
      store.close();
      dir.cleanup();
    },
  };
}
