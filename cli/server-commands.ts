import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { systemClock } from '../protocol/clock.js';
import { ConfigError } from '../protocol/errors.js';
import { createLogger, setLogLevel } from '../platform/log.js';
import { parseServerConfig, type ServerConfig, trustedRootFileOf } from '../sync-server/config/config.js';
import { Enrolment, FileTrustedRootProvider, ttlHoursToMs } from '../sync-server/enrolment/enrolment.js';
import { SyncServer } from '../sync-server/main.js';
import { Registry } from '../sync-server/registry/registry.js';

function loadConfig(file: string, over: { dataDir?: string; port?: string; host?: string }): ServerConfig {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new ConfigError(`${file}: cannot read JSON (${(err as Error).message})`, [], { cause: err });
  }
  if (over.dataDir) raw['dataDir'] = over.dataDir;
  if (over.host) raw['host'] = over.host;
  if (over.port !== undefined) raw['port'] = Number(over.port);
  return parseServerConfig(raw);
}

export function registerServerCommands(program: Command): void {
  program
    .command('server')
    .description('Run the sync server: REST API, device enrolment and the device WebSocket')
    .requiredOption('--config <file>', 'server config (JSON)')
    .option('--data-dir <dir>', 'override dataDir')
    .option('--port <n>', 'override port')
    .option('--host <addr>', 'override host')
    .action(async (o: { config: string; dataDir?: string; port?: string; host?: string }) => {
      const config = loadConfig(o.config, o);
      setLogLevel(config.logLevel);
      const server = new SyncServer(config);
      await server.start();
      process.stdout.write(`sync server on ${server.url}\n`);
      await new Promise<void>((resolve) => {
        const stop = () => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          void server.stop().then(resolve);
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
    });

  program
    .command('enrolment-token')
    .description('Create a one-time enrolment token for a screen (same as POST /api/enrolment-tokens)')
    .requiredOption('--config <file>', 'server config (JSON)')
    .requiredOption('--gate <siteGroup>', 'gate (site group), e.g. kien-giang/ha-tien')
    .requiredOption('--screen <name>', 'screen name')
    .option('--ttl-hours <n>', 'hours until the token expires (1 to 720)', '168')
    .action((o: { config: string; gate: string; screen: string; ttlHours: string }) => {
      const config = loadConfig(o.config, {});
      const ttlMs = ttlHoursToMs(o.ttlHours);
      const registry = new Registry(join(config.dataDir, 'registry.db'));
      registry.open();
      try {
        for (const g of config.gates) registry.gates.upsert(g);
        const t = new Enrolment(
          registry,
          new FileTrustedRootProvider(trustedRootFileOf(config)),
          systemClock,
          createLogger('cli'),
        ).createToken(o.gate, o.screen, ttlMs);
        process.stdout.write(
          `${t.token}\n  id ${t.id}, ${t.siteGroup} / ${t.screenName}, expires ${new Date(t.expiresAtMs).toISOString()}\n`,
        );
      } finally {
        void registry.close(); // no checkpoint worker here: settles at once
      }
    });
}
