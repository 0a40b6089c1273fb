// Bad-input cases of one area (see cases.ts for what reject and accept mean).
// The CRM boundary: what Invoice Preparation accepts, every later stage must accept too.
import { reject, type BadInputCase } from './case-kit';

const QUANTITY = /Quantity must be a whole number from 1 to \d+ \(digits only\)/;
const NO_ZONE = /Delivery time ".*" has no time zone/;
const CONTROL = /contains control characters/;

export const CRM_BOUNDARY_CASES: BadInputCase[] = [
	{ id: 'crm-hex-quantity', stage: 'crm', what: 'quantity "0x10" (Number() reads 16)', rows: (g) => [{ ...g, quantity: '0x10' }], expect: reject('quantity', QUANTITY), e2e: true },
	{ id: 'crm-exponent-quantity', stage: 'crm', what: 'quantity "1e2" (Number() reads 100)', rows: (g) => [{ ...g, quantity: '1e2' }], expect: reject('quantity', QUANTITY) },
	{ id: 'crm-signed-quantity', stage: 'crm', what: 'quantity "+3"', rows: (g) => [{ ...g, quantity: '+3' }], expect: reject('quantity', QUANTITY) },
	{ id: 'crm-spaced-quantity', stage: 'crm', what: 'quantity " 1 " (digits with spaces around)', rows: (g) => [{ ...g, quantity: ' 1 ' }], expect: { accept: 'billed' } },
	{
		id: 'crm-unzoned-delivery',
		stage: 'crm',
		what: 'delivery time without a zone, "T" form',
		rows: (g) => [{ ...g, deliveredAt: String(g.deliveredAt).replace(/Z$/, '') }],
		expect: reject('deliveredAt', NO_ZONE),
		e2e: true,
	},
	{
		id: 'crm-unzoned-delivery-space',
		stage: 'crm',
		what: 'delivery time without a zone, "YYYY-MM-DD hh:mm"',
		rows: (g) => [{ ...g, deliveredAt: String(g.deliveredAt).slice(0, 16).replace('T', ' ') }],
		expect: reject('deliveredAt', NO_ZONE),
	},
	{ id: 'crm-ls-in-name', stage: 'crm', what: 'U+2028 inside the client name', rows: (g) => [{ ...g, clientName: 'Acme\u2028Ltd' }], expect: reject('clientName', CONTROL), e2e: true },
	{ id: 'crm-ls-ends-name', stage: 'crm', what: 'U+2028 at the end of the client name (trim() used to drop it)', rows: (g) => [{ ...g, clientName: 'Acme Ltd\u2028' }], expect: reject('clientName', CONTROL) },
	{ id: 'crm-nel-in-name', stage: 'crm', what: 'U+0085 (next line) in the client name', rows: (g) => [{ ...g, clientName: 'Acme\u0085Ltd' }], expect: reject('clientName', CONTROL) },
	{ id: 'crm-control-lead-id', stage: 'crm', what: 'a BEL control character in the lead id', rows: (g) => [{ ...g, leadId: `${String(g.leadId)}\u0007` }], expect: reject('leadId', CONTROL) },
	{ id: 'crm-newline-lead-id', stage: 'crm', what: 'a line break inside the lead id', rows: (g) => [{ ...g, leadId: `${String(g.leadId)}\n] [lead X` }], expect: reject('leadId', CONTROL) },
	{
		id: 'crm-lead-two-clients',
		stage: 'crm',
		what: 'one lead id under two clients: billed to neither',
		rows: (g) => [g, { ...g, clientId: `${String(g.clientId)}-2`, clientName: 'Second Client Ltd', billingEmail: 'accounts@second-client.example' }],
		expect: reject('leadId', /Lead id ".*" appears under clients .* \(row \d+\) and .*-2 \(row \d+\)/),
	},
];
