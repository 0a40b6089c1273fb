// A report as an n8n item: the report as JSON (ops can send it anywhere with n8n's own nodes) and
// its CSV as binary data `report` (attached to the report email).
import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { reportCsv } from './csv';
import type { RunReport } from './model';

export const CSV_PROPERTY = 'report';

export async function reportItem(fns: IExecuteFunctions, report: RunReport, due?: 'complete' | 'deadline'): Promise<INodeExecutionData> {
	const csv = Buffer.from(reportCsv(report), 'utf8');
	const fileName = `billing-run-${report.runId.replace(/[^A-Za-z0-9._-]+/g, '_')}.csv`;
	const binary = await fns.helpers.prepareBinaryData(csv, fileName, 'text/csv');
	return { json: { ...report, ...(due ? { reportDue: due } : {}) }, binary: { [CSV_PROPERTY]: binary } };
}
