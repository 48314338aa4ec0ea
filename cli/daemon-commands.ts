import type { Command } from 'commander';
import { DEFAULT_CONFIG_PATH, runDaemonProcess } from '../device/main.js';

export function registerDaemonCommands(program: Command): void {
  program
    .command('daemon')
    .description('Run the screen daemon (systemd starts this): plays installed content, updates, reports')
    .option('--config <path>', 'device config file', DEFAULT_CONFIG_PATH)
    .option('--allow-insecure', 'plain http/ws to a non-loopback server (development only)')
    .action(async (o: { config: string; allowInsecure?: boolean }) => {
      await runDaemonProcess(['--config', o.config, ...(o.allowInsecure ? ['--allow-insecure'] : [])]);
    });
}
