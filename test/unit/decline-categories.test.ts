// Decline categories (issue #21): which bank declines the node lets be charged again, per the card
// schemes' published categories, the per-node override, and the category on the output item.
import * as fs from 'fs';
import * as path from 'path';
import type { IDataObject, INodeExecutionData, INodeParameters, INodeProperties } from 'n8n-workflow';
import { runNode } from '../helpers/run-node';
import { SecureTrading } from '../../nodes/SecureTrading/SecureTrading.node';
import { chargeMemo, description as debitDescription } from '../../nodes/SecureTrading/actions/payment/debitStoredCard.operation';
import {
	DECLINE_CATEGORIES,
	DECLINE_CODES,
	DECLINE_SOURCES,
	declineCategoryOf,
	isRetryableCategory,
	parseDeclineOverrides,
	SCHEME_RETRY_LIMITS,
	UNKNOWN_CODE,
} from '../../nodes/SecureTrading/helpers/declineCategories';
import { ACQUIRER_RESPONSES, classifyResponse, describeAcquirerCode } from '../../nodes/SecureTrading/helpers/outcome';
import { FieldError } from '../../nodes/shared/errors';
import { NEVER_RETRY_DECLINE_CODES, startSecureTradingSandbox, type SecureTradingSandbox } from '../../sandbox/secure-trading';

// The codes the issue names: Visa category 1, never to be retried.
const NEVER_APPROVE = ['04', '07', '12', '15', '41', '43', '46', '57', 'R0', 'R1', 'R3'];
// Insufficient funds, do not honour, issuer unavailable, system malfunction: worth another attempt.
const TRY_LATER = ['05', '51', '91', '96'];

const bankDecline = (code: string) => ({ errorcode: '70000', acquirerresponsecode: code });

describe('decline categories table', () => {
	it.each(NEVER_APPROVE)('never retries %s (issuer will never approve)', (code) => {
		expect(declineCategoryOf(code)).toMatchObject({ category: 'neverApprove', retryable: false });
		expect(classifyResponse('AUTH', bankDecline(code))).toMatchObject({ outcome: 'declined', retryable: false, declineCategory: 'neverApprove' });
	});

	it.each(TRY_LATER)('retries %s later', (code) => {
		expect(declineCategoryOf(code)).toMatchObject({ category: 'tryLater', retryable: true });
		expect(classifyResponse('AUTH', bankDecline(code))).toMatchObject({ outcome: 'declined', retryable: true, declineCategory: 'tryLater' });
	});

	it('does not retry a data-quality decline with the same stored card', () => {
		for (const code of ['54', 'N7', '1A']) expect(describeAcquirerCode(code)).toMatchObject({ category: 'dataQuality', retryable: false });
	});

	it('gives every entry a reason, a category, retryable from its category, and a source with links', () => {
		const entries = Object.entries(DECLINE_CODES);
		expect(entries.length).toBeGreaterThanOrEqual(45);
		for (const [code, entry] of entries) {
			expect([code, /^[0-9A-Z]{2}$/.test(code)]).toEqual([code, true]);
			expect([code, entry.reason.length > 3, DECLINE_CATEGORIES.includes(entry.category)]).toEqual([code, true, true]);
			expect([code, entry.retryable]).toEqual([code, isRetryableCategory(entry.category)]);
			expect([code, entry.source in DECLINE_SOURCES]).toEqual([code, true]);
			const source = DECLINE_SOURCES[entry.source as keyof typeof DECLINE_SOURCES];
			expect([code, source.urls.length > 0 && source.urls.every((url) => url.startsWith('https://'))]).toEqual([code, true]);
		}
	});

	it('keeps ACQUIRER_RESPONSES as the table says, for code that still reads it', () => {
		for (const [code, { reason, retryable }] of Object.entries(DECLINE_CODES)) expect([code, ACQUIRER_RESPONSES[code]]).toEqual([code, { reason, retryable }]);
		expect(ACQUIRER_RESPONSES['00']).toEqual({ reason: 'approved', retryable: false });
	});

	it("agrees with the sandbox's never-retry codes, which count reattempts after a hard decline", () => {
		for (const code of NEVER_RETRY_DECLINE_CODES) expect([code, declineCategoryOf(code).retryable]).toEqual([code, false]);
	});

	it('treats an unknown or missing code as generic (Visa category 4): retried, and named in the reason', () => {
		expect(UNKNOWN_CODE).toMatchObject({ category: 'tryLater', retryable: true, source: 'visa-cat4' });
		expect(declineCategoryOf(' z9 ')).toEqual({ ...UNKNOWN_CODE, reason: 'declined by the bank (acquirer response code Z9)' });
		expect(classifyResponse('AUTH', { errorcode: '70000' })).toEqual({ outcome: 'declined', retryable: true, declineCategory: 'tryLater', reason: 'declined by the bank' });
	});

	it('keeps Max Charge Attempts within every scheme limit on reattempts', () => {
		const options = (debitDescription as INodeProperties[]).find((p) => p.name === 'options')?.options as INodeProperties[];
		const maxAttempts = options.find((o) => o.name === 'maxChargeAttempts')?.typeOptions?.maxValue;
		expect(maxAttempts).toBe(10);
		for (const limit of SCHEME_RETRY_LIMITS) {
			expect(limit.sources.length).toBeGreaterThan(0);
			for (const url of limit.sources) expect(url).toMatch(/^https:\/\//);
			if (!limit.categories.includes('tryLater')) continue;
			// Reattempts are the attempts after the first decline; declined attempts include it.
			const used = limit.counts === 'reattempts' ? Number(maxAttempts) - 1 : Number(maxAttempts);
			expect([limit.rule, used <= limit.maxAttempts]).toEqual([limit.rule, true]);
		}
	});

	it('lists every code in docs/declines.md with its category and whether it is retried', () => {
		const doc = fs.readFileSync(path.join(__dirname, '../../docs/declines.md'), 'utf8');
		for (const [code, entry] of Object.entries(DECLINE_CODES)) {
			const row = doc.split('\n').find((line) => line.startsWith(`| ${code} |`));
			expect([code, row]).toEqual([code, expect.stringContaining(`| ${entry.category} | ${entry.retryable ? 'yes' : 'no'} |`)]);
		}
		for (const source of Object.values(DECLINE_SOURCES)) for (const url of source.urls) expect(doc).toContain(url);
		for (const limit of SCHEME_RETRY_LIMITS) for (const url of limit.sources) expect(doc).toContain(url);
	});
});

describe('Decline Category Overrides', () => {
	const field = 'options.declineCategoryOverrides';

	it('reads code=category entries, separated by commas, semicolons or new lines', () => {
		expect([...parseDeclineOverrides('05=neverApprove, 51=tryLater')]).toEqual([
			['05', 'neverApprove'],
			['51', 'tryLater'],
		]);
		expect([...parseDeclineOverrides(' n7 = TRYLATER ;\n41=dataQuality,')]).toEqual([
			['N7', 'tryLater'],
			['41', 'dataQuality'],
		]);
		expect(parseDeclineOverrides('').size).toBe(0);
		expect(parseDeclineOverrides(undefined).size).toBe(0);
	});

	it('changes the category, and retryable with it, for the overridden code only', () => {
		const overrides = parseDeclineOverrides('05=neverApprove, 54=tryLater');
		expect(declineCategoryOf('05', overrides)).toEqual({ reason: 'do not honour', category: 'neverApprove', retryable: false, source: 'override' });
		expect(declineCategoryOf('54', overrides)).toMatchObject({ category: 'tryLater', retryable: true, source: 'override' });
		expect(classifyResponse('AUTH', bankDecline('05'), overrides)).toMatchObject({ retryable: false, declineCategory: 'neverApprove' });
		expect(declineCategoryOf('51', overrides)).toBe(DECLINE_CODES['51']);
		// The override of an unknown code applies too.
		expect(declineCategoryOf('Z9', parseDeclineOverrides('Z9=neverApprove'))).toMatchObject({ category: 'neverApprove', retryable: false });
	});

	it.each([
		['05=never', '"05=never": "never" is not a decline category'],
		['5=tryLater', '"5=tryLater": "5" is not an acquirer response code'],
		['051=tryLater', '"051=tryLater": "051" is not an acquirer response code'],
		['05', '"05" is not of the form code=category'],
		['05=tryLater, 51 tryLater', '"51 tryLater" is not of the form code=category'],
		['05=tryLater; 05=neverApprove', '"05=neverApprove": code 05 is named more than once'],
	])('refuses %j, naming the option and the entry', (text, message) => {
		let caught: unknown;
		try {
			parseDeclineOverrides(text);
		} catch (error) {
			caught = error;
		}
		expect(caught).toBeInstanceOf(FieldError);
		expect((caught as FieldError).field).toBe(field);
		expect((caught as FieldError).message).toContain(`Decline Category Overrides (${field}) entry ${message}`);
	});

	it('refuses a value that is not text', () => {
		expect(() => parseDeclineOverrides({ '05': 'tryLater' })).toThrow(/^Decline Category Overrides \(options.declineCategoryOverrides\) must be text/);
	});
});

describe('Debit Stored Card with decline categories', () => {
	const node = new SecureTrading();
	let sb: SecureTradingSandbox;
	let seq = 0;

	beforeAll(async () => {
		sb = await startSecureTradingSandbox({ seed: 21, users: [{ username: 'webservices@example.com', password: 'Password1^', sites: ['test_site12345'] }] });
	});
	afterAll(async () => {
		await sb.close();
	});
	beforeEach(() => chargeMemo.clear());

	const key = (label: string) => `BK-dc-${label}-${++seq}`.slice(0, 25);
	const params = (parent: string, billingKey: string, options: IDataObject = {}): INodeParameters => ({
		resource: 'payment',
		operation: 'debitStoredCard',
		storedCardReference: parent,
		billingKey,
		amount: '1050',
		currency: 'GBP',
		options: { verificationDelayMs: 0, timeoutMs: 2000, ...options },
	});
	const run = (parameters: INodeParameters, continueOnFail = false) =>
		runNode(node, {
			parameters,
			items: [{ json: { customer: 'ACME' } }],
			credentials: { secureTradingApi: { username: sb.username, password: sb.password, siteReference: sb.siteReference, gateway: 'custom', customUrl: sb.url } },
			continueOnFail,
		});
	const declined = (outputs: INodeExecutionData[][]) => {
		expect(outputs[0]).toHaveLength(0);
		expect(outputs[1]).toHaveLength(1);
		return outputs[1][0].json;
	};

	it('puts declineCategory next to retryable on the decline item', async () => {
		const json = declined(await run(params(sb.addStoredCard({ behaviour: 'lostCard' }), key('lost'))));
		expect(json).toMatchObject({ outcome: 'declined', retryable: false, declineCategory: 'neverApprove', acquirerresponsecode: '41' });
		const keys = Object.keys(json);
		expect(keys.indexOf('declineCategory')).toBe(keys.indexOf('retryable') + 1);
	});

	it('lets a "do not honour" decline be charged again, and stops at Max Charge Attempts with its category kept', async () => {
		const parent = sb.addStoredCard({ behaviour: 'doNotHonour' });
		const billingKey = key('dnh');
		for (let attempt = 1; attempt <= 2; attempt++) {
			expect(declined(await run(params(parent, billingKey, { maxChargeAttempts: 2 })))).toMatchObject({ retryable: true, declineCategory: 'tryLater', reusedExisting: false });
		}
		const auths = sb.callCounts().AUTH;
		const capped = declined(await run(params(parent, billingKey, { maxChargeAttempts: 2 })));
		expect(capped).toMatchObject({ retryable: false, declineCategory: 'tryLater', chargeAttempts: 2, reusedExisting: true });
		expect(sb.callCounts().AUTH).toBe(auths);
	});

	it('makes "do not honour" final for this node with 05=neverApprove: no further AUTH for the key', async () => {
		const parent = sb.addStoredCard({ behaviour: 'doNotHonour' });
		const billingKey = key('dnh-hard');
		const first = declined(await run(params(parent, billingKey, { declineCategoryOverrides: '05=neverApprove' })));
		expect(first).toMatchObject({ retryable: false, declineCategory: 'neverApprove', reusedExisting: false });
		const auths = sb.callCounts().AUTH;
		chargeMemo.clear();
		const again = declined(await run(params(parent, billingKey, { declineCategoryOverrides: '05=neverApprove' })));
		expect(again).toMatchObject({ retryable: false, declineCategory: 'neverApprove', reusedExisting: true, previouslyDeclined: true });
		expect(sb.callCounts().AUTH).toBe(auths);
		// Without the override the same key's decline is a soft one again: the next attempt is made.
		chargeMemo.clear();
		expect(declined(await run(params(parent, billingKey)))).toMatchObject({ retryable: true, declineCategory: 'tryLater', reusedExisting: false });
		expect(sb.callCounts().AUTH).toBe(auths + 1);
	});

	it('refuses a bad override before charging, naming the option, the entry and the item', async () => {
		const parent = sb.addStoredCard();
		const auths = sb.callCounts().AUTH;
		await expect(run(params(parent, key('bad'), { declineCategoryOverrides: '05=maybe' }))).rejects.toThrow(
			/^Decline Category Overrides \(options.declineCategoryOverrides\) entry "05=maybe": "maybe" is not a decline category; use one of neverApprove, tryLater, dataQuality \[item 0\]$/,
		);
		const [ok, failed] = await run(params(parent, key('bad'), { declineCategoryOverrides: '5=tryLater' }), true);
		expect(ok).toHaveLength(0);
		expect(failed[0].json).toMatchObject({ outcome: 'invalid', error: { field: 'options.declineCategoryOverrides', message: expect.stringContaining('entry "5=tryLater"') } });
		expect(sb.callCounts().AUTH).toBe(auths);
	});
});
