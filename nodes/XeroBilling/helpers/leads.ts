// What an invoice bills, written where Xero keeps it: each line's Description ends with the lead
// it bills, ` [lead <id>]`. Xero has no custom fields on lines, and descriptions come back with
// every paged invoice listing, so a rerun can tell which leads are billed without one call per
// invoice. Leads, not billing periods, are the unit of "billed".

/** At most this many characters of lead id: Xero keeps 4000 of a description. */
export const MAX_LEAD_ID_LENGTH = 100;

const OPEN = ' [lead ';

/** The description Xero stores for a line billing `leadId` (never marked twice). */
export function markLead(description: string, leadId: string): string {
	if (leadOf(description) === leadId) return description;
	return `${description}${OPEN}${leadId}]`;
}

/** The lead a stored line bills, or null for a line not made by us (or edited by hand). */
export function leadOf(description: string | undefined | null): string | null {
	if (!description || !description.endsWith(']')) return null;
	// The last marker: a description may itself contain brackets.
	const at = description.lastIndexOf(OPEN);
	const lead = at < 0 ? '' : description.slice(at + OPEN.length, -1);
	return lead ? lead : null;
}
