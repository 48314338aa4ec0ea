/**
 * Renders report HTML to PDF with Chromium's print to PDF (puppeteer-core). The only file in
 * reports/ that imports puppeteer-core. JavaScript is off in the page and every network request is
 * refused, so the report's content can neither run code nor reach out.
 */
import puppeteer from 'puppeteer-core';
import { GatecastError } from '../../protocol/errors.js';

export class PdfRenderError extends GatecastError {
  readonly code = 'PDF_RENDER_FAILED';
}

export interface PdfOptions {
  /** Chromium binary (main.ts: config reports.chromiumPath, else /usr/bin/chromium, /usr/bin/chromium-browser). */
  executablePath: string;
  timeoutMs?: number;
}

const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** Prints `html` (a full document) to an A4 PDF with page numbers; resolves to the PDF bytes. */
export async function renderPdf(html: string, options: PdfOptions): Promise<Uint8Array> {
  const timeout = options.timeoutMs ?? 60_000;
  let browser;
  try {
    browser = await puppeteer.launch({
      executablePath: options.executablePath,
      headless: true,
      args: CHROMIUM_ARGS,
      timeout,
    });
  } catch (err) {
    throw new PdfRenderError(`cannot start Chromium at ${options.executablePath}`, { cause: err });
  }
  try {
    const page = await browser.newPage();
    await page.setJavaScriptEnabled(false);
    await page.setRequestInterception(true);
    page.on('request', (req) => {
      // The document itself arrives by setContent; anything else (images, fonts, links) is refused.
      if (req.url().startsWith('data:') || req.url() === 'about:blank') void req.continue();
      else void req.abort('blockedbyclient');
    });
    await page.setContent(html, { waitUntil: 'load', timeout });
    return await page.pdf({
      format: 'A4',
      printBackground: true,
      preferCSSPageSize: true,
      displayHeaderFooter: true,
      headerTemplate: '<span></span>',
      footerTemplate:
        '<div style="font-size:8pt;width:100%;text-align:center"><span class="pageNumber"></span> / <span class="totalPages"></span></div>',
      timeout,
    });
  } catch (err) {
    throw new PdfRenderError('printing the report to PDF failed', { cause: err });
  } finally {
    await browser.close();
  }
}
