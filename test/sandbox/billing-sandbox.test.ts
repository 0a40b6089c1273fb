import { lastBillingPeriod, startBillingSandbox } from '../../sandbox';

describe('billing sandbox scenario', () => {
	it('bills Thursday→Monday on Mondays and Monday→Thursday from Thursday on', () => {
		expect(lastBillingPeriod(new Date('2026-11-23T09:00:00Z'))).toEqual({ from: '2026-11-19T00:00:00.000Z', to: '2026-11-23T00:00:00.000Z' });
		expect(lastBillingPeriod(new Date('2026-11-25T09:00:00Z'))).toEqual({ from: '2026-11-19T00:00:00.000Z', to: '2026-11-23T00:00:00.000Z' });
		expect(lastBillingPeriod(new Date('2026-11-26T09:00:00Z'))).toEqual({ from: '2026-11-23T00:00:00.000Z', to: '2026-11-26T00:00:00.000Z' });
		expect(lastBillingPeriod(new Date('2026-11-29T23:59:00Z'))).toEqual({ from: '2026-11-23T00:00:00.000Z', to: '2026-11-26T00:00:00.000Z' });
	});

	it('seeds a CRM whose card references are cards the gateway really stores, with the expected behaviours', async () => {
		const sb = await startBillingSandbox({ clients: 10, seed: 7 });
		try {
			const clients = (await (await fetch(`${sb.crm.url}/api/clients?limit=100`)).json()) as { data: Array<{ id: string; cardReference: string | null }> };
			const byId = new Map(clients.data.map((c) => [c.id, c]));
			expect(sb.scenario.map((s) => s.expected)).toEqual([
				'paid', 'paid', 'paid', 'paid', 'paid', 'paid', 'paid', 'declined-soft', 'no-card', 'declined-hard', 'rejected',
			]);
			const auth = Buffer.from(`${sb.secureTrading.username}:${sb.secureTrading.password}`).toString('base64');
			for (const s of sb.scenario.filter((c) => c.expected !== 'rejected')) {
				expect(byId.get(s.clientId)?.cardReference ?? null).toBe(s.cardReference);
				if (!s.cardReference) continue;
				const res = await fetch(`${sb.secureTrading.url}/json/`, {
					method: 'POST',
					headers: { authorization: `Basic ${auth}`, 'content-type': 'application/json' },
					body: JSON.stringify({
						alias: sb.secureTrading.username,
						version: '1.00',
						request: [{
							requesttypedescriptions: ['AUTH'], sitereference: sb.secureTrading.siteReference, accounttypedescription: 'RECUR',
							parenttransactionreference: s.cardReference, credentialsonfile: '2', subscriptiontype: 'RECURRING', subscriptionnumber: '2', baseamount: '1050', currencyiso3a: 'GBP',
							orderreference: `T-${s.clientId}`, requestreference: `W-${s.clientId}`,
						}],
					}),
				});
				const [answer] = ((await res.json()) as { response: Array<Record<string, string>> }).response;
				expect({ client: s.clientId, code: answer.errorcode, acq: answer.acquirerresponsecode }).toEqual({
					client: s.clientId,
					code: s.expected === 'paid' ? '0' : '70000',
					acq: s.expected === 'paid' ? '00' : s.expected === 'declined-soft' ? '51' : '41',
				});
			}
			const creds = sb.credentials();
			expect(creds.map((c) => c.type).sort()).toEqual(['billingRabbitMqApi', 'billingSmtp', 'secureTradingApi', 'xeroCustomConnectionApi']);
		} finally {
			await sb.close();
		}
	});
});
