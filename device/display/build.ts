import type { Gpio } from '../gpio/gpio.js';
import {
  CecDisplayPower,
  VcgencmdDisplayPower,
  WlopmDisplayPower,
  XsetDisplayPower,
} from './command-adapters.js';
import type { DisplayAdapterKind } from './detect.js';
import type { DisplayPower, Run } from './display-power.js';
import { DisplayPowerError } from './display-power.js';
import { RelayDisplayPower } from './relay-display-power.js';

export interface DisplayBuildDeps {
  run: Run;
  cecDevice: number;
  x11Display?: string;
  relay?: { gpio: Gpio; pin: number; activeLow: boolean };
}

/** Builds the adapter `pickDisplayAdapter` chose; main.ts and the self-test both use it. */
export function buildDisplayPower(kind: DisplayAdapterKind, d: DisplayBuildDeps): DisplayPower {
  switch (kind) {
    case 'cec':
      return new CecDisplayPower(d.run, d.cecDevice);
    case 'wayland':
      return new WlopmDisplayPower(d.run);
    case 'x11':
      return new XsetDisplayPower(d.run, d.x11Display ?? ':0');
    case 'vcgencmd':
      return new VcgencmdDisplayPower(d.run);
    case 'relay':
      if (!d.relay)
        throw new DisplayPowerError('display.powerAdapter is "relay" but gpio.relayPin is not set');
      return new RelayDisplayPower(d.relay.gpio, d.relay.pin, d.relay.activeLow);
  }
}
