#!/usr/bin/env node
/**
 * The `gatecast` command. This file only assembles the sub-commands each component exports; it is
 * the one place (with each main.ts) allowed to know every component.
 */
import { Command } from 'commander';
import { packageVersion } from '../platform/package-version.js';
import { isGatecastError } from '../protocol/errors.js';
import { registerAdminCommands } from './admin-commands.js';
import { registerBackupCommands } from './backup-commands.js';
import { registerContentCommands } from './content-commands.js';
import { registerDaemonCommands, registerDemoCommand } from './daemon-commands.js';
import { registerEmergencyCommands } from './emergency-commands.js';
import { registerTufClientCommands } from './tuf-client.js';
import { registerScheduleCommands } from './schedule-commands.js';
import { registerHardwareCommands } from './hardware-commands.js';
import { registerProvisionCommands } from './provision-commands.js';
import { registerPublishCommands } from './publish-commands.js';
import { registerReportCommands } from './report-commands.js';
import { registerReleaseCommands } from './release-commands.js';
import { registerServerCommands } from './server-commands.js';
import { registerSyncCommands } from './sync-commands.js';

export function buildProgram(): Command {
  const program = new Command('gatecast')
    .description('Information screens for border gates: device daemon, sync server and tools')
    .version(packageVersion() ?? 'unknown')
    .showHelpAfterError();
  registerContentCommands(program);
  registerAdminCommands(program);
  registerDaemonCommands(program);
  registerDemoCommand(program);
  registerTufClientCommands(program);
  registerScheduleCommands(program);
  registerProvisionCommands(program);
  registerHardwareCommands(program);
  registerPublishCommands(program);
  registerEmergencyCommands(program);
  registerSyncCommands(program);
  registerServerCommands(program);
  registerBackupCommands(program);
  registerReportCommands(program);
  registerReleaseCommands(program);
  return program;
}

export async function main(argv = process.argv): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    if (isGatecastError(err)) {
      process.stderr.write(`gatecast: ${err.message} [${err.code}]\n`);
      process.exitCode = 1;
      return;
    }
    throw err;
  }
}

await main();
