/** A draft as the repository keeps it on disk (drafts/<id>/draft.json), read back through this schema. */
import { z } from 'zod';
import { DraftFile, DraftRejection, DraftRestore, DraftStatus } from '../../protocol/publish-api.js';
import { DraftMediaEntry } from './draft-media.js';
import { DraftKind } from './draft-signing-rules.js';

export const DraftRecord = z.object({
  schema: z.literal(1),
  id: z.string(),
  siteGroup: z.string(),
  status: DraftStatus,
  createdAt: z.string(),
  label: z.string().optional(),
  manifest: DraftFile,
  files: z.array(DraftFile),
  signed: z.record(z.string(), z.unknown()),
  signatures: z.array(
    z.object({ keyid: z.string(), sig: z.string(), at: z.string(), by: z.string().optional() }),
  ),
  /** The account that created the draft (absent for drafts made through a bearer token or --repo). */
  createdBy: z.string().optional(),
  publishedAt: z.string().optional(),
  /** An emergency draft carries only an emergency message change and must be approved quickly. */
  kind: DraftKind.default('content'),
  /** Emergency drafts: no signature or publication after this instant (ISO). */
  approveBy: z.string().optional(),
  /** The version on air it was made from (absent in drafts recorded before it was kept: version - 1). */
  basedOnVersion: z.number().int().min(0).optional(),
  /** The author's note to the approvers. */
  note: z.string().optional(),
  /** A draft that restores a published version: which, and what became of its emergency messages. */
  restored: DraftRestore.optional(),
  /** Each rejection, oldest first, with the signatures it voided (kept as the record of who signed). */
  rejections: z
    .array(
      DraftRejection.omit({ voidedSignatures: true }).extend({
        voided: z.array(
          z.object({ keyid: z.string(), sig: z.string(), at: z.string(), by: z.string().optional() }),
        ),
      }),
    )
    .default([]),
  /** Each uploaded media file: its original and what normalisation made of it (the target). */
  media: z.array(DraftMediaEntry).optional(),
});
export type DraftRecord = z.infer<typeof DraftRecord>;

/** The version on air a draft was made from. */
export const baseOf = (rec: DraftRecord) => rec.basedOnVersion ?? Number(rec.signed['version']) - 1;
