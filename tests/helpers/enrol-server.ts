import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A stand-in for the sync server's enrolment endpoint, as provisioning assumes it until branch sync
 * lands: POST /api/enrol {"token"} → 200 {deviceId, gate, trustedRootJson, serverCaPem?}; a token
 * works once, then 410. GET /api/health → 200.
 */
export async function enrolServer(opts: { tokens: string[]; gate?: unknown; serverCaPem?: string }): Promise<{
  url: string;
  requests: { method: string; path: string; body: string }[];
  close(): Promise<void>;
  server: Server;
}> {
  const unused = new Set(opts.tokens);
  const requests: { method: string; path: string; body: string }[] = [];
  let n = 0;
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString('utf8');
    });
    req.on('end', () => {
      requests.push({ method: req.method ?? '', path: req.url ?? '', body });
      const json = (status: number, v: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(v));
      };
      if (req.method === 'GET' && req.url === '/api/health') return json(200, { ok: true });
      if (req.method !== 'POST' || req.url !== '/api/enrol') return json(404, { error: 'not found' });
      let token: unknown;
      try {
        token = (JSON.parse(body) as { token?: unknown }).token;
      } catch {
        return json(400, { error: 'bad json' });
      }
      if (typeof token !== 'string' || !unused.has(token))
        return json(410, { error: 'token unknown, used or expired' });
      unused.delete(token);
      n++;
      json(200, {
        deviceId: `ha-tien-${String(n).padStart(3, '0')}`,
        gate: opts.gate ?? {
          siteGroup: 'kien-giang/ha-tien',
          name: 'Cửa khẩu Quốc tế Hà Tiên',
          timezone: 'Asia/Ho_Chi_Minh',
          languages: ['vi', 'km', 'en', 'zh-Hans'],
          openingHours: [{ start: '06:00', end: '22:00' }],
        },
        trustedRootJson: JSON.stringify({ signed: { _type: 'root', version: 1, keys: {} }, signatures: [] }),
        ...(opts.serverCaPem ? { serverCaPem: opts.serverCaPem } : {}),
      });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, requests, server, close: () => new Promise((r) => server.close(() => r())) };
}
