// Bad-input cases of one area (see cases.ts for what reject and accept mean).
// The Xero wire (issue 16): CRM client ids become Xero ContactNumbers and are looked up in `where`
// string literals, which Xero reads with doubled quotes and plain backslashes. Such ids are odd but
// legal: each client gets its own contact and invoice, and the good clients looked up in the same
// call are unaffected (a trailing backslash once broke the lookup of every client in it).
import type { BadInputCase } from './case-kit';

export const XERO_WIRE_CASES: BadInputCase[] = [
	{
		id: 'invoice-client-id-quote-backslash',
		stage: 'invoice',
		what: 'client id with a backslash, a quote and a comma',
		item: (g) => ({ ...g, clientId: `${String(g.clientId)}\\B"C,` }),
		expect: { accept: 'billed' },
	},
	{
		id: 'invoice-client-id-trailing-backslash',
		stage: 'invoice',
		what: 'client id ending in a backslash',
		item: (g) => ({ ...g, clientId: `${String(g.clientId)}\\` }),
		expect: { accept: 'billed' },
	},
	{
		id: 'invoice-client-id-escaped-quote',
		stage: 'invoice',
		what: 'client id holding \\" (a backslash-escaped quote elsewhere)',
		item: (g) => ({ ...g, clientId: `${String(g.clientId)}\\"` }),
		expect: { accept: 'billed' },
	},
];
