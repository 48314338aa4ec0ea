/**
 * The releases feature's check of the commands the server issues (fleet/commands.ts `checkCommand`):
 * an install-release command offers only a version the catalogue lists, whoever issues it (a rollout,
 * the dashboard's or the ops API's command route).
 */
import type { NewCommand } from '../fleet/commands.js';
import type { ReleaseCatalog } from './catalog.js';
import { ReleaseNotPublishedError } from './errors.js';

export function publishedReleaseCheck(catalog: Pick<ReleaseCatalog, 'get'>): (c: NewCommand) => void {
  return (c) => {
    if (c.name !== 'install-release') return;
    const version = c.args?.['version'];
    if (typeof version !== 'string' || !catalog.get(version))
      throw new ReleaseNotPublishedError(
        `release ${JSON.stringify(version ?? null)} is not published: the TUF releases role does not list it`,
      );
  };
}
