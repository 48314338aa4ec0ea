/**
 * Where provisioning puts things on a device (absolute, before any --root prefix). The device's own
 * files come from the code that reads them, so there is one set of paths: the key from
 * device/identity.ts, the TUF trusted root and the server CA copy from device/sync/enrol.ts.
 */
export { identityKeyPath as deviceKeyPath } from '../device/identity.js';
export { serverCaPath, trustedRootPath as trustRootPath } from '../device/sync/enrol.js';

/** The device config; the same default as device/main.ts's (not imported: that pulls in the daemon). */
export const DEFAULT_CONFIG_PATH = '/etc/gatecast/device.json';
export const DEFAULT_DATA_DIR = '/var/lib/gatecast';
export const UNIT_DIR = '/etc/systemd/system';
export const DAEMON_UNIT = 'gatecast.service';
