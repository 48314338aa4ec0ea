/**
 * The fleet registry: one SQLite file (WAL) holding gates, devices, enrolment tokens, commands and the
 * telemetry (health history, events, proof of play). Registry opens it, runs its migrations, owns the
 * connection and the WAL checkpointer, and hands out one store per aggregate, all over that connection:
 * `registry.devices`, `registry.ingest`, …
 */
import {
  openAndMigrate,
  type SqliteDb,
  type SqlitePragmas,
  type SqliteStatement,
} from '../../platform/sqlite.js';
import { WalCheckpointer } from './checkpointer.js';
import { CommandStore } from './command-store.js';
import { DeviceStore } from './device-store.js';
import { EnrolmentTokenStore } from './enrolment-token-store.js';
import { GateStore } from './gate-store.js';
import { HealthStore } from './health-store.js';
import { IngestStore } from './ingest-store.js';
import { PopRollupStore } from './pop-rollups.js';
import { PopStore } from './pop-store.js';
import { ReportNamesStore } from './report-names-store.js';
import { RegistryError, rowMapper } from './rows.js';
import { MIGRATIONS } from './schema.js';

/**
 * FULL: the WAL is synced at each commit, so a batch is on disk before it is acked and a power cut
 * cannot take back what a device already dropped. (NORMAL in WAL mode survives a process crash but a
 * power cut may roll back the last commits, acks already sent: the records would be lost.) The group
 * commit makes it one sync per flush, not per batch; cost measured in bench/RESULTS.md (fleet).
 */
const REGISTRY_PRAGMAS: SqlitePragmas = {
  synchronous: 'FULL',
  foreignKeys: true,
  busyTimeoutMs: 5000,
  journalSizeLimitBytes: 64 * 1024 * 1024,
};

const okRow = rowMapper('ping', (r) => r.num('ok'));

interface Stores {
  db: SqliteDb;
  ping: SqliteStatement;
  gates: GateStore;
  devices: DeviceStore;
  tokens: EnrolmentTokenStore;
  commands: CommandStore;
  ingest: IngestStore;
  pop: PopStore;
  health: HealthStore;
  reportNames: ReportNamesStore;
  rollups: PopRollupStore;
  /** The stores features keep over this connection (featureStore), by the function that makes each. */
  features: Map<(db: SqliteDb) => unknown, unknown>;
}

/** The stores the registry hands out, each as a getter of its own name: `registry.devices`. */
const STORE_NAMES = [
  'gates',
  'devices',
  'tokens',
  'commands',
  'ingest',
  'pop',
  'health',
  'reportNames',
  'rollups',
] as const;
type StoreName = (typeof STORE_NAMES)[number];

/** Defines a getter per store name, each reading the open registry's stores (which throws if not open). */
abstract class StoreGetters {
  protected abstract get stores(): Stores;
  static {
    for (const name of STORE_NAMES)
      Object.defineProperty(this.prototype, name, {
        get(this: StoreGetters) {
          return this.stores[name];
        },
      });
  }
}
const OpenStores = StoreGetters as abstract new () => StoreGetters & Readonly<Pick<Stores, StoreName>>;

export class Registry extends OpenStores {
  private open_?: Stores;
  private checkpointer?: WalCheckpointer;

  constructor(private readonly path: string) {
    super();
  }

  /**
   * Opens (creating) the registry and migrates it. With `backgroundCheckpointMs`, WAL checkpoints run
   * in a worker thread instead of inside ingest commits (see checkpointer.ts).
   */
  open(options: { backgroundCheckpointMs?: number; onCheckpointError?: (error: string) => void } = {}): void {
    const db = openAndMigrate(this.path, { pragmas: REGISTRY_PRAGMAS, migrations: MIGRATIONS });
    const devices = new DeviceStore(db);
    const rollups = new PopRollupStore(db);
    const ingest = new IngestStore(db, rollups);
    this.open_ = {
      db,
      ping: db.prepare('SELECT 1 AS ok'),
      gates: new GateStore(db),
      devices,
      tokens: new EnrolmentTokenStore(db, devices),
      commands: new CommandStore(db),
      ingest,
      pop: new PopStore(db),
      health: new HealthStore(db, () => devices.ids()),
      reportNames: new ReportNamesStore(db),
      rollups,
      features: new Map(),
    };
    if (options.backgroundCheckpointMs) {
      db.pragma('wal_autocheckpoint = 0');
      this.checkpointer = new WalCheckpointer(this.path, options.backgroundCheckpointMs, (r) => {
        if (r.ok) ingest.noteWalPages(r.log ?? 0);
        else options.onCheckpointError?.(r.error ?? 'unknown');
      });
      this.checkpointer.start();
    }
  }

  /** Closes the database; the promise settles once the checkpoint worker has let go of the files too. */
  close(): Promise<void> {
    const stopping = this.checkpointer?.stop() ?? Promise.resolve();
    this.checkpointer = undefined;
    if (this.open_?.db.open) this.open_.db.close();
    return stopping;
  }

  protected get stores(): Stores {
    if (!this.open_) throw new RegistryError(`registry ${this.path} is not open`);
    return this.open_;
  }

  /**
   * The store `make` builds over this registry's connection, made once while it is open: how a
   * feature keeps the store of its own tables beside its code (alerts/alert-state-store.ts).
   */
  featureStore<T>(make: (db: SqliteDb) => T): T {
    const { db, features } = this.stores;
    if (!features.has(make)) features.set(make, make(db));
    return features.get(make) as T;
  }

  /** A trivial read, for the health endpoint. */
  ping(): boolean {
    return okRow.one(this.stores.ping.get()) === 1;
  }
}
