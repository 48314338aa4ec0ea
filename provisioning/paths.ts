import { join } from 'node:path';

/** Where provisioning puts things on a device (absolute, before any --root prefix). */
export const DEFAULT_CONFIG_PATH = '/etc/gatecast/device.json';
export const DEFAULT_DATA_DIR = '/var/lib/gatecast';
export const UNIT_DIR = '/etc/systemd/system';
export const DAEMON_UNIT = 'gatecast.service';

/** The TUF root the device trusts. */
export const trustRootPath = (dataDir: string) => join(dataDir, 'trust', 'root.json');
/**
 * The device's private key. The identity code (branch sync) owns this file; if it settles on another
 * name, change it here only.
 */
export const deviceKeyPath = (dataDir: string) => join(dataDir, 'identity', 'device-key.pem');
export const serverCaPath = (configPath: string) => join(configPath, '..', 'server-ca.pem');
