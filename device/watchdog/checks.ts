import { access, constants } from 'node:fs/promises';
import type { LivenessCheck } from './watchdog.js';

/**
 * The data directory can still be written (not remounted read-only after an ext4 error, not gone)
 * without writing anything: access(W_OK) reports EROFS for a read-only mount. Writing a probe file
 * every WATCHDOG_USEC/2 would wear the SD card for nothing; the store's own successful writes are
 * better reported with `watchdog.heartbeat('store', maxAgeMs)`.
 */
export function dataDirWritable(dataDir: string): LivenessCheck {
  return () =>
    access(dataDir, constants.W_OK).then(
      () => true,
      () => false,
    );
}
