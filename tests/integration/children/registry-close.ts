/**
 * Child for registry-close.test.ts: opens a registry with its background checkpointer, closes it,
 * and says so. Nothing else holds the event loop, as at the end of a server's shutdown.
 */
import { Registry } from '../../../sync-server/registry/registry.js';

const registry = new Registry(process.argv[2]!);
registry.open({ backgroundCheckpointMs: 1000 });
await registry.close();
process.stdout.write('closed\n');
