import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  EmergencyEndSecretError,
  EmergencyNotEndableError,
  EndedEmergencyContent,
  EndedEmergencyFile,
} from '../../../device/emergency/ended-emergencies.js';
import { memoryLogger } from '../../../platform/log.js';
import { fakeClock } from '../../../protocol/clock.js';
import { endCommitmentOf, newEndSecret, opensCommitment } from '../../../protocol/emergency-end.js';
import { MutableContentSource } from '../../helpers/dir-content.js';
import { memoryBundle } from '../../helpers/memory-bundle.js';
import { manifest } from '../../helpers/schedule-fixtures.js';
import { tempDir } from '../../helpers/temp.js';

const secret = newEndSecret();
const emergency = (id: string, commitment?: string) => ({
  id,
  text: { vi: { body: 'Tạm dừng thông quan' } },
  startsAt: '2026-01-01T00:00:00Z',
  expiresAt: '2026-01-01T02:00:00Z',
  ...(commitment ? { endCommitment: commitment } : {}),
});
const bundle = (version: number, ...emergencies: ReturnType<typeof emergency>[]) =>
  memoryBundle(manifest({ emergencies }), { version });

describe('emergencies ended early on a screen', () => {
  let dir: ReturnType<typeof tempDir> | undefined;
  afterEach(() => {
    dir?.cleanup();
    dir = undefined;
  });

  const at = () => dir!.path;
  const open = (source: MutableContentSource, clock = fakeClock(Date.parse('2026-01-01T01:00:00Z'))) => {
    const c = new EndedEmergencyContent(source, new EndedEmergencyFile(at()), clock, memoryLogger());
    c.start();
    return c;
  };

  it('opens only the commitment of its own secret', () => {
    expect(opensCommitment(endCommitmentOf(secret), secret)).toBe(true);
    expect(opensCommitment(endCommitmentOf(secret), newEndSecret())).toBe(false);
    expect(opensCommitment(endCommitmentOf(secret), secret.toUpperCase())).toBe(false);
    expect(opensCommitment('00', secret)).toBe(false);
  });

  it('takes the emergency off with the right secret, tells the player, and keeps it off after a restart', () => {
    dir = tempDir();
    const source = new MutableContentSource(bundle(2, emergency('em-1', endCommitmentOf(secret))));
    const c = open(source);
    expect(c.current()!.manifest.emergencies.map((e) => e.id)).toEqual(['em-1']);
    const told: number[] = [];
    c.onChange((b) => told.push(b.manifest.emergencies.length));
    expect(c.end('em-1', secret)).toMatchObject({ removed: true });
    expect(told).toEqual([0]);
    expect(c.current()!.manifest.emergencies).toEqual([]);
    expect(c.current()!.version).toBe(2);
    c.stop();
    // Restart: the same installed bundle, the emergency stays off; so does a later version carrying it.
    const again = open(source);
    expect(again.current()!.manifest.emergencies).toEqual([]);
    source.set(
      bundle(
        3,
        emergency('em-1', endCommitmentOf(secret)),
        emergency('em-2', endCommitmentOf(newEndSecret())),
      ),
    );
    expect(again.current()!.manifest.emergencies.map((e) => e.id)).toEqual(['em-2']);
  });

  it('refuses a wrong secret by name and changes nothing, on screen or on disk', () => {
    dir = tempDir();
    const source = new MutableContentSource(bundle(2, emergency('em-1', endCommitmentOf(secret))));
    const c = open(source);
    const told: unknown[] = [];
    c.onChange((b) => told.push(b));
    expect(() => c.end('em-1', newEndSecret())).toThrow(EmergencyEndSecretError);
    expect(() => c.end('em-1', 'not-hex')).toThrow(EmergencyEndSecretError);
    expect(told).toEqual([]);
    expect(c.current()!.manifest.emergencies.map((e) => e.id)).toEqual(['em-1']);
    expect(existsSync(join(at(), 'emergency', 'ended.json'))).toBe(false);
  });

  it('refuses to end an emergency signed without a commitment', () => {
    dir = tempDir();
    const c = open(new MutableContentSource(bundle(2, emergency('em-1'))));
    expect(() => c.end('em-1', secret)).toThrow(EmergencyNotEndableError);
    expect(c.current()!.manifest.emergencies.map((e) => e.id)).toEqual(['em-1']);
  });

  it('keeps an end that arrives before its bundle and applies it when the bundle arrives', () => {
    dir = tempDir();
    const source = new MutableContentSource(bundle(1));
    const c = open(source);
    expect(c.end('em-1', secret)).toMatchObject({ removed: false });
    source.set(bundle(2, emergency('em-1', endCommitmentOf(secret))));
    expect(c.current()!.manifest.emergencies).toEqual([]);
    // The kept secret opens nothing else: another emergency under that id with another commitment plays.
    source.set(bundle(3, emergency('em-1', endCommitmentOf(newEndSecret()))));
    expect(c.current()!.manifest.emergencies.map((e) => e.id)).toEqual(['em-1']);
  });

  it('forgets ends once their emergency has expired', () => {
    dir = tempDir();
    const source = new MutableContentSource(bundle(2, emergency('em-1', endCommitmentOf(secret))));
    open(source).end('em-1', secret);
    const later = open(source, fakeClock(Date.parse('2026-01-01T03:00:00Z')));
    expect(later.endedIds()).toEqual([]);
    expect(new EndedEmergencyFile(at()).load()).toEqual([]);
  });
});
