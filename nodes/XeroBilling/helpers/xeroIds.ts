// Xero's own record ids (ContactID, InvoiceID) read from input items.
import type { IDataObject } from 'n8n-workflow';
import { FieldError } from '../../shared/errors';
import { textField } from '../../shared/itemFields';

export const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A Xero id at `path` (trimmed, case kept); `kind` names it in messages, e.g. `InvoiceID`. */
export function xeroIdField(json: IDataObject, path: string, label: string, kind: 'ContactID' | 'InvoiceID'): string {
	const id = textField(json, path, label);
	if (!GUID.test(id)) throw new FieldError(path, `${label} "${id}" is not a Xero ${kind} (a GUID) (field "${path}")`);
	return id;
}
