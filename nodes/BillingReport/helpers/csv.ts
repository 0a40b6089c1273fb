// The report's CSV: one row per billing key with its final (or current) state. RFC 4180 quoting,
// and cells that a spreadsheet would run as a formula (=, +, -, @ first) are prefixed with '
// (CRM ids and client names come from outside).
import { minorUnitsForDisplay } from '../../shared/currency';
import type { RunReport } from './model';

const COLUMNS = [
	'runId', 'billingKey', 'runKey', 'state', 'final', 'stage', 'clientId', 'clientName', 'email', 'currency', 'invoiceNumber',
	'invoiced', 'collected', 'outstanding', 'reason', 'declineCode', 'attempt', 'nextAttemptAt', 'error', 'errorCode', 'errorField', 'at',
] as const;

function cell(value: unknown): string {
	if (value === undefined || value === null) return '';
	let text = String(value);
	if (/^[=+\-@\t\r]/.test(text) && !/^-?\d+(\.\d+)?$/.test(text)) text = `'${text}`;
	return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function reportCsv(report: RunReport): string {
	const lines = [COLUMNS.join(',')];
	for (const r of report.rows) {
		// A currency the table does not know keeps its minor units as they are: never a lost row.
		const money = (minor: number) => (r.currency ? minorUnitsForDisplay(minor, r.currency) : String(minor));
		const values: Record<(typeof COLUMNS)[number], unknown> = {
			runId: report.runId,
			billingKey: r.billingKey,
			runKey: r.runKey,
			state: r.state,
			final: r.final,
			stage: r.stage,
			clientId: r.clientId,
			clientName: r.clientName,
			email: r.email,
			currency: r.currency,
			invoiceNumber: r.invoiceNumber,
			invoiced: money(r.invoicedMinor),
			collected: money(r.collectedMinor),
			outstanding: money(r.outstandingMinor),
			reason: r.reason,
			declineCode: r.declineCode,
			attempt: r.attempt,
			nextAttemptAt: r.nextAttemptAt,
			error: r.error?.message,
			errorCode: r.error?.code,
			errorField: r.error?.field,
			at: r.at,
		};
		lines.push(COLUMNS.map((c) => cell(values[c])).join(','));
	}
	return lines.join('\r\n') + '\r\n';
}
