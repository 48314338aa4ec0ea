import type { Command } from 'commander';
import { enrolDevice } from '../device/sync/enrol.js';

export function registerSyncCommands(program: Command): void {
  program
    .command('enrol')
    .description(
      'Enrol this device with the sync server: make its key, present the one-time token, write config and TUF root',
    )
    .requiredOption('--server <url>', 'sync server base URL, e.g. https://signage.example.gov.vn')
    .requiredOption('--token <token>', 'one-time enrolment token from ops')
    .requiredOption('--data-dir <dir>', 'the device data directory (keys, config, TUF root)')
    .option('--config <file>', 'where to write the device config (default <data-dir>/device.json)')
    .option('--ca <file>', 'PEM of the server certificate or CA to trust')
    .option('--insecure-dev', 'allow plain http to a non-loopback host (development only)')
    .option('--force', 'enrol again although this device has a device id')
    .action(
      async (o: {
        server: string;
        token: string;
        dataDir: string;
        config?: string;
        ca?: string;
        insecureDev?: boolean;
        force?: boolean;
      }) => {
        const r = await enrolDevice({
          serverUrl: o.server,
          token: o.token,
          dataDir: o.dataDir,
          ...(o.config ? { configPath: o.config } : {}),
          ...(o.ca ? { caFile: o.ca } : {}),
          allowInsecure: Boolean(o.insecureDev),
          force: Boolean(o.force),
        });
        process.stdout.write(
          `enrolled as ${r.deviceId} (${r.response.screenName} at ${r.response.gate.name})\n  config: ${r.configPath}\n  TUF root: ${r.trustedRootPath}\n`,
        );
      },
    );
}
