import type { NetworkInterfaceInfo } from 'node:os';

/** What the screen shows on a short press of the technician button. */
export interface TechnicianInfo {
  deviceId: string;
  ips: string[];
  state: string;
}

/**
 * The addresses worth reading out to a technician: IPv4 first, no loopback, no link-local.
 * Takes the shape of os.networkInterfaces() so it stays pure.
 */
export function technicianAddresses(ifaces: NodeJS.Dict<NetworkInterfaceInfo[]>): string[] {
  const all = Object.entries(ifaces).flatMap(([name, list]) => (list ?? []).map((a) => ({ name, ...a })));
  const usable = all.filter(
    (a) => !a.internal && !a.address.startsWith('fe80:') && !a.address.startsWith('169.254.'),
  );
  usable.sort((a, b) =>
    a.family === b.family ? a.name.localeCompare(b.name) : a.family === 'IPv4' ? -1 : 1,
  );
  return usable.map((a) => `${a.address} (${a.name})`);
}

/**
 * The technician button: a short press shows who and where this box is on the screen, a long press
 * asks the server to identify it (ops see which screen is which). Both actions are injected.
 */
export interface TechnicianActions {
  /** Current facts for the overlay (device id, addresses, state in words). */
  info(): TechnicianInfo;
  /** Shows the overlay on the screen (the player draws it). */
  show(info: TechnicianInfo): void;
  /** Tells the server; the LED shows 'identify' meanwhile (main.ts wires that through LedInputs). */
  identify(): Promise<void>;
  onError(err: unknown): void;
}

export function technicianHandlers(a: TechnicianActions): { onShortPress(): void; onLongPress(): void } {
  return {
    onShortPress: () => {
      try {
        a.show(a.info());
      } catch (err) {
        a.onError(err);
      }
    },
    onLongPress: () => {
      a.identify().catch(a.onError);
    },
  };
}
