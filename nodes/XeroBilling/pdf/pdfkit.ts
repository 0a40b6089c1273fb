// pdfkit (with fontkit and its tables) adds about 28 MB to every process that loads it. Loaded on
// the first rendered PDF, not when n8n loads the node: instances that attach Xero's PDF, or
// none, never pay for it.
import type PDFKitDocument from 'pdfkit';

type PdfDocumentClass = typeof PDFKitDocument;
let loaded: PdfDocumentClass | undefined;

/** pdfkit's PDFDocument class, required on first use. */
export function pdfDocumentClass(): PdfDocumentClass {
	// eslint-disable-next-line @typescript-eslint/no-require-imports -- deferring the load is the point
	loaded ??= require('pdfkit') as PdfDocumentClass;
	return loaded;
}
