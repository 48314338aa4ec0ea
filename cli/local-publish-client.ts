import type { Clock } from '../protocol/clock.js';
import type { Logger } from '../platform/log.js';
import type { CreateDraftRequest, RestoreDraftRequest, SignatureUpload } from '../protocol/publish-api.js';
import { fileUpload, type PublishClient } from '../provisioning/publish-client.js';
import { DraftService } from '../sync-server/tuf/drafts.js';
import { ForbiddenError } from '../sync-server/web/errors.js';
import { TufRepository } from '../sync-server/tuf/repository.js';

/** The publishing port on a repository directory on this machine (offline use, demo, tests). */
export class LocalPublishClient implements PublishClient {
  readonly #repo: TufRepository;
  readonly #drafts: DraftService;

  constructor(repo: TufRepository, drafts: DraftService) {
    this.#repo = repo;
    this.#drafts = drafts;
  }

  static async open(dir: string, clock: Clock, log?: Logger): Promise<LocalPublishClient> {
    const repo = await new TufRepository({ dir, clock, ...(log ? { log } : {}) }).open();
    return new LocalPublishClient(repo, new DraftService({ repo, clock, ...(log ? { log } : {}) }));
  }

  async siteGroups() {
    return this.#repo.siteGroups();
  }
  createDraft(req: CreateDraftRequest) {
    return this.#drafts.create(req);
  }
  restoreDraft(req: RestoreDraftRequest) {
    return this.#drafts.restore(req);
  }
  getDraft(id: string) {
    return this.#drafts.get(id);
  }
  listDrafts() {
    return this.#drafts.list();
  }
  manifest(id: string) {
    return this.#drafts.manifest(id);
  }
  async diff(id: string) {
    return (await this.#drafts.diff(id)) ?? null;
  }
  addSignature(id: string, sig: SignatureUpload) {
    return this.#drafts.sign(id, sig);
  }
  publish(id: string) {
    return this.#drafts.publish(id);
  }
  discard(id: string) {
    return this.#drafts.discard(id);
  }
  /** A rejection names the approver who sends the draft back; a repository directory has no accounts. */
  reject(): Promise<never> {
    return Promise.reject(
      new ForbiddenError(
        'a rejection names the approver who sends the draft back: reject through a sync server account (--server with --user)',
      ),
    );
  }
  resubmit(id: string, note?: string) {
    return this.#drafts.resubmit(id, undefined, note);
  }
  uploadFile(id: string, path: string, file: string, onProgress?: (sentBytes: number) => void) {
    return this.#drafts.upload(id, path, fileUpload(file, onProgress));
  }
}
