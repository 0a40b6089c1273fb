// Bad-input cases of one area (see cases.ts for what reject and accept mean).
import type { BadInputCase } from './case-kit';
import { reject } from './case-kit';

/** `{"billingKey":…,"n":[[[…]]]}` nested `levels` deep (the body object is level 1), 2 bytes a level. */
const nested = (billingKey: string, levels: number): string => `{"billingKey":${JSON.stringify(billingKey)},"n":${'['.repeat(levels - 1)}${']'.repeat(levels - 1)}}`;

export const QUEUE_CASES: BadInputCase[] = [
	// Retries follow the messageId, Xero and Secure Trading the body's key: the two must agree.
	{
		id: 'queue-key-mismatch',
		stage: 'queue',
		what: "messageId differs from the body's billingKey",
		raw: { body: JSON.stringify({ billingKey: 'BI-someone-else', amountMinor: 100 }), messageId: 'BI-queue-key-mismatch' },
		expect: reject('messageId', /messageId "BI-queue-key-mismatch" and its body's billingKey "BI-someone-else" differ \(field "messageId"\)/),
	},
	{
		id: 'queue-key-null-in-body',
		stage: 'queue',
		what: 'body billingKey is null beside a messageId',
		raw: { body: JSON.stringify({ billingKey: null, amountMinor: 100 }), messageId: 'BI-queue-key-null-in-body' },
		expect: reject('messageId', /messageId "BI-queue-key-null-in-body" and its body's billingKey null \(null\) differ/),
	},
	// Parses (V8's JSON.parse does not recurse) but would overflow the stack later, failing its batch.
	{
		id: 'queue-deep-nesting',
		stage: 'queue',
		what: 'a 60,000-level deep JSON body',
		raw: { body: nested('BI-queue-deep-nesting', 60000), messageId: 'BI-queue-deep-nesting' },
		expect: reject('body', /\(field "body"\) nests objects and arrays more than 64 levels deep/),
	},
	{
		id: 'queue-nesting-65',
		stage: 'queue',
		what: 'a body one level deeper than allowed',
		raw: { body: nested('BI-queue-nesting-65', 65), messageId: 'BI-queue-nesting-65' },
		expect: reject('body', /more than 64 levels deep/),
	},
];
