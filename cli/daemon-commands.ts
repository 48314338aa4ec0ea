import type { Command } from 'commander';
import { DEFAULT_CONFIG_PATH, runDaemonProcess } from '../device/main.js';

export function registerDaemonCommands(program: Command): void {
  program
    .command('daemon')
    .description('Run the screen daemon (systemd starts this): plays installed content, updates, reports')
    .option('--config <path>', 'device config file', DEFAULT_CONFIG_PATH)
    .option('--allow-insecure', 'plain http/ws to a non-loopback server (development only)')
    .action(async (o: { config: string; allowInsecure?: boolean }) => {
      // commander has parsed the command line; the daemon takes the result as it is.
      await runDaemonProcess({ configPath: o.config, allowInsecure: o.allowInsecure === true });
    });
}

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('Run everything locally: signed sample content, sync server, and a gate screen in Chromium')
    .option(
      '--dir <path>',
      'where the demo keeps its files (emptied at start, only if the demo made it: it holds a .gatecast-demo file)',
      '.demo',
    )
    .option('--port <n>', 'sync server port on 127.0.0.1 (0: any free port)', '8080')
    .option('--duration-s <n>', 'stop by itself after this many seconds (0: run until Ctrl-C)', '0')
    .option('--headless', 'headless Chromium even where there is a display')
    .option(
      '--night-in-min <n>',
      'the demo schedule shows the night playlist for 2 minutes from this many minutes after the start (0: at once)',
      '3',
    )
    .action(
      async (o: { dir: string; port: string; durationS: string; headless?: boolean; nightInMin: string }) => {
        const { runDemo } = await import('./demo.js');
        await runDemo({
          dir: o.dir,
          port: Number(o.port),
          durationS: Number(o.durationS),
          nightInMinutes: Number(o.nightInMin),
          ...(o.headless ? { headless: true } : {}),
        });
      },
    );
}
