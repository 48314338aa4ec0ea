import type { HealthReport } from '../../protocol/messages.js';

/** A plausible health report taken at `at`; `over` changes what a test or benchmark looks at. */
export function healthAt(at: number, over: Partial<HealthReport> = {}): HealthReport {
  return {
    at,
    appVersion: '0.1.0',
    uptimeS: 100,
    cpuTempC: 48.5,
    load1: 0.4,
    load5: 0.3,
    memTotalBytes: 4e9,
    memAvailableBytes: 3e9,
    diskTotalBytes: 32e9,
    diskFreeBytes: 20e9,
    throttling: null,
    storage: { ext4ErrorsCount: 0, rootReadOnly: false },
    display: 'on',
    currentItem: 'welcome',
    currentLanguage: 'vi',
    bundle: { installedVersion: '12', latestVersion: '12', lastSuccessfulUpdateAt: at - 1000 },
    clockOffsetMs: 3,
    browserMemoryBytes: 2e8,
    network: { interface: 'eth0', address: '192.0.2.10' },
    ...over,
  };
}
