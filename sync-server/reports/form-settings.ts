/**
 * The administrative form of the printed report (Decree 30/2020/NĐ-CP, docs/reporting-rules.md):
 * issuing unit and its parent, number pattern, place, signer, recipients. Its first value comes from
 * the server config (reports.form); admins change it through PUT /api/reports/form, stored in
 * `<dataDir>/reports/form.json` (write temp → fsync → rename → fsync dir).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../../platform/atomic-file.js';
import { GatecastError } from '../../protocol/errors.js';

const line = z.string().trim().min(1).max(200);

export const ReportForm = z
  .object({
    /** The body the issuing unit belongs to, e.g. "ỦY BAN NHÂN DÂN TỈNH AN GIANG". */
    parentUnit: line,
    /** The issuing unit, e.g. "SỞ VĂN HÓA, THỂ THAO VÀ DU LỊCH". */
    issuingUnit: line,
    /**
     * The document number and symbol; "{n}" is the number the records clerk gives (blank when the
     * report is printed without one), e.g. "{n}/BC-SVHTTDL".
     */
    numberPattern: line.refine((p) => p.includes('{n}'), { message: 'must contain {n}' }),
    /** The place name before the date, e.g. "An Giang". */
    place: line,
    /** Above the title when signing for the head, e.g. "KT. GIÁM ĐỐC"; absent: the head signs. */
    signerAuthority: line.optional(),
    /** The signer's title, e.g. "PHÓ GIÁM ĐỐC". */
    signerTitle: line,
    signerName: line,
    /** "Nơi nhận", one recipient a line. */
    recipients: z.array(line).min(1).max(20),
    /** The archive line after "Lưu:", e.g. "VT, TTTT". */
    archive: line.default('VT'),
  })
  .strict();
export type ReportForm = z.infer<typeof ReportForm>;
export type ReportFormInput = z.input<typeof ReportForm>;

export class ReportFormError extends GatecastError {
  readonly code = 'REPORT_FORM_INVALID';
}
export const isReportFormError = (e: unknown): e is ReportFormError => e instanceof ReportFormError;

/** The form with every problem named, or ReportFormError. */
export function parseReportForm(raw: unknown): ReportForm {
  const r = ReportForm.safeParse(raw);
  if (r.success) return r.data;
  throw new ReportFormError(
    r.error.issues.map((i) => `${i.path.join('.') || 'form'}: ${i.message}`).join('; '),
  );
}

/** The document number for `n` (blank spaces for the clerk to fill when absent). */
export const documentNumber = (form: ReportForm, n?: string) =>
  form.numberPattern.replace('{n}', n ?? '\u00a0'.repeat(6));

export class ReportFormStore {
  private readonly file: string;
  private cached: ReportForm | null | undefined;

  constructor(
    dataDir: string,
    /** From the server config: the form until an admin saves one. */
    private readonly initial: ReportForm | undefined,
  ) {
    this.file = join(dataDir, 'reports', 'form.json');
  }

  /** The form in force, or undefined when none is configured (the report prints without one). */
  async load(): Promise<ReportForm | undefined> {
    if (this.cached !== undefined) return this.cached ?? this.initial;
    try {
      this.cached = parseReportForm(JSON.parse(await readFile(this.file, 'utf8')));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      this.cached = null;
    }
    return this.cached ?? this.initial;
  }

  /** Checks and stores a new form; a bad one changes nothing. */
  async save(raw: unknown): Promise<ReportForm> {
    const form = parseReportForm(raw);
    await writeFileAtomic(this.file, `${JSON.stringify(form, null, 2)}\n`);
    this.cached = form;
    return form;
  }
}
