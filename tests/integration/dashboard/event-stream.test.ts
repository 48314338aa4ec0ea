import { describe, expect, it } from 'vitest';
import { apiLogin, startServerWithUsers } from '../../helpers/dashboard.js';
import { cleanupsAfterEach } from '../../helpers/cleanups.js';
import { tempFolder } from '../../helpers/temp.js';

const cleanups = cleanupsAfterEach();

/** Reads a server-sent event stream until it ends; resolves with everything received. */
async function readAll(res: Response): Promise<string> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return text;
    text += decoder.decode(value, { stream: true });
  }
}

describe('dashboard event streams', () => {
  it.each(['/dashboard/events', '/dashboard/alerts/events'])(
    '%s ends with an "ended" event once the session that opened it is logged out',
    async (path) => {
      const dir = tempFolder(cleanups, 'gc-sse-');
      const s = await startServerWithUsers(cleanups, dir, { ops: 'admin' });
      const who = await apiLogin(s.server.url, 'ops');
      const stream = await fetch(`${s.server.url}${path}`, { headers: { cookie: who.cookie } });
      expect(stream.status).toBe(200);
      expect(stream.headers.get('content-type')).toContain('text/event-stream');
      const all = readAll(stream);
      const out = await fetch(`${s.server.url}/api/session`, {
        method: 'DELETE',
        headers: { cookie: who.cookie, 'x-csrf-token': who.csrfToken },
      });
      expect(out.status).toBeLessThan(300);
      // The stream is checked again within seconds and closed by the server.
      const text = await all;
      expect(text).toContain('event: ended');
      // A new stream with the old cookie is refused.
      expect((await fetch(`${s.server.url}${path}`, { headers: { cookie: who.cookie } })).status).toBe(401);
    },
    20_000,
  );
});
