// The bad-input table: malformed and hostile inputs at the CRM boundary and on every stage queue,
// each with what must happen to it. `reject` cases must come back on the error path naming the
// field (and carrying their record's billing key), and leave no invoice, charge or email behind;
// `accept` cases are odd but legal and must bill normally (names escaped in HTML, headers intact).
// test/integration/bad-input.test.ts runs the whole table in-process through the real nodes and
// the real broker; test/e2e/bad-input.test.ts pushes a selection through the shipped workflows.
import { drop, line, reject, CRLF_BCC, HTML_NAME, RTL_NAME, UNICODE_NAME, type BadInputCase } from './case-kit';
import { CRM_BOUNDARY_CASES } from './cases-crm-boundary';
import { QUEUE_CASES } from './cases-queue';
import { XERO_WIRE_CASES } from './cases-xero-wire';
import { MONEY_CASES } from './cases-money';

export * from './case-kit';

export const CASES: BadInputCase[] = [
	// ---- CRM rows -> Invoice Preparation (stage 1) ----------------------------------------------
	{ id: 'crm-missing-email', stage: 'crm', what: 'billing email key absent', rows: (g) => [drop(g, 'billingEmail')], expect: reject('billingEmail', /Billing email is missing/), e2e: true },
	{ id: 'crm-null-email', stage: 'crm', what: 'billing email null', rows: (g) => [{ ...g, billingEmail: null }], expect: reject('billingEmail', /missing/) },
	{ id: 'crm-empty-email', stage: 'crm', what: 'billing email empty', rows: (g) => [{ ...g, billingEmail: '   ' }], expect: reject('billingEmail', /missing/) },
	{ id: 'crm-invalid-email', stage: 'crm', what: 'billing email without @', rows: (g) => [{ ...g, billingEmail: 'accounts.at.example' }], expect: reject('billingEmail', /not a valid address/), e2e: true },
	{ id: 'crm-crlf-email', stage: 'crm', what: 'CRLF + Bcc inside the address', rows: (g) => [{ ...g, billingEmail: `victim@hostile.example${CRLF_BCC}` }], expect: reject('billingEmail', /control characters/), e2e: true },
	{ id: 'crm-email-wrong-type', stage: 'crm', what: 'billing email is an object', rows: (g) => [{ ...g, billingEmail: { address: 'a@b.example' } }], expect: reject('billingEmail', /must be text/) },
	{ id: 'crm-unknown-currency', stage: 'crm', what: 'currency EURO', rows: (g) => [{ ...g, currency: 'EURO' }], expect: reject('currency', /three-letter ISO 4217/), e2e: true },
	{ id: 'crm-inactive-currency', stage: 'crm', what: 'currency XXX (no minor units)', rows: (g) => [{ ...g, currency: 'XXX' }], expect: reject('currency', /not an active ISO 4217/) },
	{ id: 'crm-missing-currency', stage: 'crm', what: 'currency key absent', rows: (g) => [drop(g, 'currency')], expect: reject('currency', /is required/) },
	{ id: 'crm-currency-number', stage: 'crm', what: 'currency is a number', rows: (g) => [{ ...g, currency: 826 }], expect: reject('currency', /ISO 4217/) },
	{ id: 'crm-negative-price', stage: 'crm', what: 'price -25.00', rows: (g) => [{ ...g, price: '-25.00' }], expect: reject('price', /negative/), e2e: true },
	{ id: 'crm-zero-price', stage: 'crm', what: 'only lead priced 0.00', rows: (g) => [{ ...g, price: '0.00' }], expect: reject('', /invoice total is zero/) },
	{ id: 'crm-text-price', stage: 'crm', what: 'price "ten pounds"', rows: (g) => [{ ...g, price: 'ten pounds' }], expect: reject('price', /not a valid amount/) },
	{ id: 'crm-fraction-minor-price', stage: 'crm', what: 'price 10.005 GBP (fraction of a penny)', rows: (g) => [{ ...g, price: '10.005' }], expect: reject('price', /decimal|minor/) },
	{ id: 'crm-huge-price', stage: 'crm', what: 'price 1e30', rows: (g) => [{ ...g, price: '1000000000000000000000000000000' }], expect: reject('price', /too large|maximum|above/), e2e: true },
	{ id: 'crm-price-object', stage: 'crm', what: 'price is an object', rows: (g) => [{ ...g, price: { amount: 10 } }], expect: reject('price', /must be a number/) },
	{ id: 'crm-zero-quantity', stage: 'crm', what: 'quantity 0', rows: (g) => [{ ...g, quantity: 0 }], expect: reject('quantity', /whole number from 1/) },
	{ id: 'crm-fractional-quantity', stage: 'crm', what: 'quantity 1.5', rows: (g) => [{ ...g, quantity: 1.5 }], expect: reject('quantity', /whole number from 1/) },
	{ id: 'crm-text-quantity', stage: 'crm', what: 'quantity "two"', rows: (g) => [{ ...g, quantity: 'two' }], expect: reject('quantity', /whole number from 1/) },
	{ id: 'crm-missing-client-name', stage: 'crm', what: 'lead whose client does not exist (no client name)', rows: (g) => [{ ...g, clientName: null }], expect: reject('clientName', /Client name is missing/), e2e: true },
	{ id: 'crm-missing-lead-id', stage: 'crm', what: 'lead id absent', rows: (g) => [drop(g, 'leadId')], expect: reject('leadId', /Lead id is missing/) },
	{ id: 'crm-crlf-name', stage: 'crm', what: 'CRLF + Bcc in the client name', rows: (g) => [{ ...g, clientName: `Acme Ltd${CRLF_BCC}` }], expect: reject('clientName', /control characters/), e2e: true },
	{ id: 'crm-long-name', stage: 'crm', what: '500-character name', rows: (g) => [{ ...g, clientName: `Long ${'Name '.repeat(99)}Ltd` }], expect: reject('clientName', /longer than 255/) },
	{ id: 'crm-card-injection', stage: 'crm', what: 'card reference with quotes and spaces', rows: (g) => [{ ...g, cardReference: '1-2-3" OR "1"="1' }], expect: reject('cardReference', /not a gateway transaction reference/) },
	{ id: 'crm-bad-delivery-date', stage: 'crm', what: 'delivery time "yesterday"', rows: (g) => [{ ...g, deliveredAt: 'yesterday' }], expect: reject('deliveredAt', /not a date/) },
	{
		id: 'crm-conflicting-duplicate',
		stage: 'crm',
		what: 'the same lead twice with different prices',
		rows: (g) => [g, { ...g, price: '99.00' }],
		expect: reject('', /appears in rows .* with different values/),
	},
	{ id: 'crm-half-bad-client', stage: 'crm', what: 'one good and one bad row of a client: no partial invoice', rows: (g) => [g, { ...g, leadId: `${String(g.leadId)}-b`, price: '-1.00' }], expect: reject('price', /negative/) },
	{ id: 'crm-identical-duplicate', stage: 'crm', what: 'the same lead row twice, identical', rows: (g) => [g, { ...g }], expect: { accept: 'deduplicated' }, e2e: true },
	{ id: 'crm-unicode-name', stage: 'crm', what: 'accents, CJK and emoji in the name', rows: (g) => [{ ...g, clientName: UNICODE_NAME }], expect: { accept: 'billed' }, e2e: true },
	{ id: 'crm-rtl-name', stage: 'crm', what: 'Hebrew/Arabic name with a U+202E override', rows: (g) => [{ ...g, clientName: RTL_NAME }], expect: { accept: 'billed' }, e2e: true },
	{
		id: 'crm-html-name',
		stage: 'crm',
		what: 'script and markup in the name and the lead description',
		rows: (g) => [{ ...g, clientName: HTML_NAME, description: '<img src=x onerror=alert(1)> Quote & call' }],
		expect: { accept: 'billed' },
		e2e: true,
	},
	{ id: 'crm-no-card', stage: 'crm', what: 'client without a stored card', rows: (g) => [{ ...g, cardReference: null }], expect: { accept: 'noCard' }, e2e: true },

	// ---- raw deliveries on a stage queue (Billing Queue Trigger) --------------------------------
	{ id: 'queue-not-json', stage: 'queue', what: 'body is not JSON', raw: { body: 'billingKey=K; amount=10', messageId: 'BI-queue-not-json' }, expect: reject('body', /not valid JSON/), e2e: true },
	{ id: 'queue-json-array', stage: 'queue', what: 'body is a JSON array', raw: { body: '[{"billingKey":"x"}]', messageId: 'BI-queue-json-array' }, expect: reject('body', /must be a JSON object, got an array/) },
	{ id: 'queue-json-string', stage: 'queue', what: 'body is a JSON string', raw: { body: '"hello"', messageId: 'BI-queue-json-string' }, expect: reject('body', /must be a JSON object, got string/) },
	{ id: 'queue-empty-body', stage: 'queue', what: 'empty body', raw: { body: '', messageId: 'BI-queue-empty-body' }, expect: reject('body', /not valid JSON/) },
	{ id: 'queue-oversized', stage: 'queue', what: 'a 600 KB message', raw: { body: JSON.stringify({ billingKey: 'BI-queue-oversized', pad: 'x'.repeat(600 * 1024) }), messageId: 'BI-queue-oversized' }, expect: reject('body', /over the \d+-byte limit/), e2e: true },
	{ id: 'queue-no-key', stage: 'queue', what: 'no messageId and no billingKey', raw: { body: JSON.stringify({ clientId: 'C1', amountMinor: 100 }) }, expect: reject('billingKey', /no billing key/), e2e: true },
	{ id: 'queue-crlf-key', stage: 'queue', what: 'CRLF + Bcc inside the messageId (billing key)', raw: { body: '{"amountMinor":100}', messageId: `BI-queue-crlf-key${CRLF_BCC}` }, expect: reject('billingKey', /control characters/), e2e: true },
	{ id: 'queue-key-wrong-type', stage: 'queue', what: 'billingKey is a number, no messageId', raw: { body: JSON.stringify({ billingKey: 12345 }) }, expect: reject('billingKey', /no billing key/) },

	// ---- invoice stage (Xero Billing: Ensure Contacts, Create Invoices) --------------------------
	{ id: 'invoice-unknown-currency', stage: 'invoice', what: 'currency ZZZ', item: (g) => ({ ...g, currency: 'ZZZ' }), expect: reject('currency', /not an active ISO 4217/), e2e: true },
	{ id: 'invoice-missing-currency', stage: 'invoice', what: 'currency absent', item: (g) => ({ ...g, currency: undefined }), expect: reject('currency', /is required/) },
	{ id: 'invoice-negative-line', stage: 'invoice', what: 'line of -10.00', item: (g) => ({ ...g, lines: [line({ unitAmount: '-10.00', unitAmountMinor: -1000, lineAmountMinor: -1000 })], totalMinor: -1000 }), expect: reject('lines[0].unitAmountMinor', /negative/), e2e: true },
	{ id: 'invoice-zero-total', stage: 'invoice', what: 'only line is 0.00', item: (g) => ({ ...g, lines: [line({ unitAmount: '0.00', unitAmountMinor: 0, lineAmountMinor: 0 })], totalMinor: 0 }), expect: reject('lines', /total is zero/), e2e: true },
	{ id: 'invoice-fractional-minor', stage: 'invoice', what: '1000.5 minor units', item: (g) => ({ ...g, lines: [line({ unitAmountMinor: 1000.5 })] }), expect: reject('lines[0].unitAmountMinor', /whole number of minor units/) },
	{ id: 'invoice-huge-amount', stage: 'invoice', what: '1e22 minor units', item: (g) => ({ ...g, lines: [line({ unitAmountMinor: 1e22 })] }), expect: reject('lines[0].unitAmountMinor', /too large/) },
	{ id: 'invoice-amount-text', stage: 'invoice', what: 'unit amount "lots"', item: (g) => ({ ...g, lines: [line({ unitAmountMinor: 'lots' })] }), expect: reject('lines[0].unitAmountMinor', /not a valid amount/) },
	{ id: 'invoice-no-lines', stage: 'invoice', what: 'empty line list', item: (g) => ({ ...g, lines: [] }), expect: reject('lines', /non-empty list/) },
	{ id: 'invoice-lines-wrong-type', stage: 'invoice', what: 'lines is a string', item: (g) => ({ ...g, lines: 'Lead L1, 10.00' }), expect: reject('lines', /non-empty list/) },
	{ id: 'invoice-missing-client', stage: 'invoice', what: 'no client id', item: (g) => ({ ...g, clientId: undefined }), expect: reject('clientId', /missing/) },
	{ id: 'invoice-crlf-name', stage: 'invoice', what: 'CRLF + Bcc in the client name', item: (g) => ({ ...g, clientName: `Acme${CRLF_BCC}` }), expect: reject('clientName', /control characters/), e2e: true },
	{ id: 'invoice-invalid-email', stage: 'invoice', what: 'email without @', item: (g) => ({ ...g, billingEmail: 'nobody' }), expect: reject('billingEmail', /not a valid address/) },
	{ id: 'invoice-html-description', stage: 'invoice', what: 'markup in name and line description', item: (g) => ({ ...g, clientName: `${HTML_NAME} (invoice stage)`, lines: [line({ description: '<script>alert(1)</script> lead' })] }), expect: { accept: 'billed' }, e2e: true },

	// ---- email stage (Billing Email: send invoice) -----------------------------------------------
	{ id: 'email-crlf-name', stage: 'email', what: 'CRLF + Bcc in the client name', item: (g) => ({ ...g, clientName: `Acme${CRLF_BCC}` }), expect: reject('Client Name', /line break or control character/), e2e: true },
	{ id: 'email-crlf-address', stage: 'email', what: 'CRLF + Bcc after the address', item: (g) => ({ ...g, billingEmail: `ap@client.example${CRLF_BCC}` }), expect: reject('Recipient Email', /line break or control character/), e2e: true },
	{ id: 'email-crlf-invoice-number', stage: 'email', what: 'CRLF + Bcc in the invoice number (subject)', item: (g) => ({ ...g, invoiceNumber: `INV-1${CRLF_BCC}` }), expect: reject('Invoice Number', /line break or control character/) },
	{ id: 'email-invalid-address', stage: 'email', what: 'address without a domain', item: (g) => ({ ...g, billingEmail: 'ap@' }), expect: reject('Recipient Email', /not a valid email address/) },
	{ id: 'email-html-name', stage: 'email', what: 'markup in the client name', item: (g) => ({ ...g, clientName: HTML_NAME }), expect: { accept: 'billed' }, e2e: true },

	// ---- debit stage (Secure Trading: debit stored card) ------------------------------------------
	{ id: 'debit-negative', stage: 'debit', what: 'amount -100 in the message (ignored: Xero\'s AmountDue is charged)', item: (g) => ({ ...g, amountMinor: -100 }), expect: { accept: 'chargedWhatIsDue' }, e2e: true },
	{ id: 'debit-zero', stage: 'debit', what: 'amount 0 in the message (ignored: Xero\'s AmountDue is charged)', item: (g) => ({ ...g, amountMinor: 0 }), expect: { accept: 'chargedWhatIsDue' } },
	{ id: 'debit-fractional-minor', stage: 'debit', what: 'amount 10.5 minor units in the message (ignored: Xero\'s AmountDue is charged)', item: (g) => ({ ...g, amountMinor: 10.5 }), expect: { accept: 'chargedWhatIsDue' }, e2e: true },
	{ id: 'debit-huge', stage: 'debit', what: 'amount 1e15 minor units in the message (ignored: Xero\'s AmountDue is charged)', item: (g) => ({ ...g, amountMinor: 1e15 }), expect: { accept: 'chargedWhatIsDue' }, e2e: true },
	{ id: 'debit-text-amount', stage: 'debit', what: 'amount "abc" in the message (ignored: Xero\'s AmountDue is charged)', item: (g) => ({ ...g, amountMinor: 'abc' }), expect: { accept: 'chargedWhatIsDue' } },
	{ id: 'debit-unknown-currency', stage: 'debit', what: 'currency ZZZ', item: (g) => ({ ...g, currency: 'ZZZ' }), expect: reject('currency', /not an active ISO 4217/), e2e: true },
	{ id: 'debit-unknown-card', stage: 'debit', what: 'card reference the gateway never issued', item: (g) => ({ ...g, cardReference: '9-9-999999' }), expect: reject('parenttransactionreference', /not found/), e2e: true },
	{ id: 'debit-card-injection', stage: 'debit', what: 'card reference with a quote', item: (g) => ({ ...g, cardReference: 'a"b' }), expect: reject('storedCardReference', /not a Secure Trading transaction reference/) },
	{ id: 'debit-no-card', stage: 'debit', what: 'client without a stored card', item: (g) => ({ ...g, cardReference: null }), expect: { accept: 'noCard' }, e2e: true },

	// ---- notify stage (Billing Email: payment notice) ---------------------------------------------
	{ id: 'notify-unknown-kind', stage: 'notify', what: 'notice "bogus"', item: (g) => ({ ...g, notice: 'bogus' }), expect: reject('Notice', /must be one of paid/), e2e: true },
	{ id: 'notify-crlf-name', stage: 'notify', what: 'CRLF + Bcc in the client name', item: (g) => ({ ...g, clientName: `X${CRLF_BCC}` }), expect: reject('Client Name', /line break or control character/), e2e: true },
	{ id: 'notify-crlf-address', stage: 'notify', what: 'LF + Bcc after the address', item: (g) => ({ ...g, billingEmail: 'x@client.example\nBcc: e@evil.example' }), expect: reject('Recipient Email', /line break or control character/) },
	{ id: 'notify-crlf-invoice-number', stage: 'notify', what: 'CRLF in the invoice number', item: (g) => ({ ...g, invoiceNumber: `INV-1${CRLF_BCC}` }), expect: reject('Invoice Number', /line break or control character/) },
	{ id: 'notify-negative', stage: 'notify', what: 'amount -5', item: (g) => ({ ...g, amountMinor: -5 }), expect: reject('Amount', /negative/) },
	{ id: 'notify-unknown-currency', stage: 'notify', what: 'currency QQQ', item: (g) => ({ ...g, currency: 'QQQ' }), expect: reject('Currency', /not an active ISO 4217/) },
	{ id: 'notify-html-name', stage: 'notify', what: 'markup in the client name', item: (g) => ({ ...g, clientName: HTML_NAME }), expect: { accept: 'billed' }, e2e: true },
	{ id: 'notify-rtl-name', stage: 'notify', what: 'right-to-left name with an override', item: (g) => ({ ...g, clientName: RTL_NAME }), expect: { accept: 'billed' } },

	// ---- per-area case files (issue 16) ------------------------------------------------------------
	...CRM_BOUNDARY_CASES,
	...QUEUE_CASES,
	...XERO_WIRE_CASES,
	...MONEY_CASES,
];

/** The case's billing key (and CRM client id): unique, and within Secure Trading's 25 characters. */
export const keyOf = (c: BadInputCase): string => `BI${CASES.indexOf(c)}-${c.id}`.slice(0, 25);
