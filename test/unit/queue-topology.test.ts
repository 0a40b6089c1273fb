// Topology naming and arguments, delay parsing, the retry/park decision and the hold time of
// "Deliver Not Before" (no broker).
import {
	decideRetry,
	delayForAttempt,
	formatDelay,
	holdQueueName,
	MAX_DELAY_MS,
	parseDelays,
	stageTopology,
	TopologyError,
	validateExchange,
	validateMaxAttempts,
	validateStage,
} from '../../nodes/BillingQueue/helpers/topology';
import { readMaxMessageBytes, readTopology, readTriggerConfig } from '../../nodes/BillingQueue/helpers/config';
import { BillingQueue } from '../../nodes/BillingQueue/BillingQueue.node';
import { BillingQueueTrigger } from '../../nodes/BillingQueue/BillingQueueTrigger.node';
import { DELIVER_NOT_BEFORE_FIELD, holdMs, parseDeliverNotBefore } from '../../nodes/BillingQueue/helpers/hold';
import { FieldError } from '../../nodes/shared/errors';

describe('delays', () => {
	test('parses units and formats them back exactly (used in queue names)', () => {
		expect(parseDelays('5s, 30s, 2m, 10m')).toEqual([5000, 30000, 120000, 600000]);
		expect(parseDelays('250ms 1h,3d, 14d')).toEqual([250, 3600000, 259200000, 1209600000]);
		expect(parseDelays('1.5s')).toEqual([1500]);
		expect([5000, 30000, 120000, 600000, 1500, 259200000, 3600000].map(formatDelay)).toEqual(['5s', '30s', '2m', '10m', '1500ms', '3d', '1h']);
	});

	test('rejects missing units, empty lists and delays beyond the TTL limit, naming the field', () => {
		expect(() => parseDelays('5', 'Retry Delays')).toThrow('Invalid delay "5" in "Retry Delays": write a number with a unit (ms, s, m, h, d), e.g. 30s');
		expect(() => parseDelays(' , ')).toThrow(/needs at least one delay/);
		expect(() => parseDelays('50d')).toThrow(/between 1ms and 49d/);
		expect(() => parseDelays('0s')).toThrow(TopologyError);
		// TopologyError is the kit's FieldError, argument order (field, message).
		const error = new TopologyError('queueSetup.retryDelays', 'bad');
		expect(error).toBeInstanceOf(FieldError);
		expect(error).toMatchObject({ field: 'queueSetup.retryDelays', message: 'bad' });
	});

	test('attempts past the list reuse the last delay', () => {
		expect([1, 2, 3, 4, 5, 9].map((a) => delayForAttempt([5, 30, 120], a))).toEqual([5, 30, 120, 120, 120, 120]);
	});
});

describe('names and arguments', () => {
	const cfg = { exchange: 'billing', queueType: 'quorum' as const, retryDelaysMs: [5000, 30000, 120000, 600000, 30000] };

	test('one helper names every queue and its binding', () => {
		const spec = stageTopology(cfg, 'invoice');
		expect(spec.exchange).toBe('billing');
		expect(spec.queues.map((q) => [q.name, q.bindingKey, q.role])).toEqual([
			['billing.invoice', 'invoice', 'stage'],
			['billing.invoice.retry.5s', 'invoice.retry.5s', 'retry'],
			['billing.invoice.retry.30s', 'invoice.retry.30s', 'retry'],
			['billing.invoice.retry.2m', 'invoice.retry.2m', 'retry'],
			['billing.invoice.retry.10m', 'invoice.retry.10m', 'retry'],
			['billing.invoice.parked', 'invoice.parked', 'parked'],
			['billing.invoice.hold', 'invoice.hold', 'hold'],
		]);
		expect(holdQueueName(cfg, 'invoice')).toBe('billing.invoice.hold');
	});

	test('the hold queue is classic for either queue type and dead-letters into its stage', () => {
		for (const queueType of ['quorum', 'classic'] as const) {
			const hold = stageTopology({ ...cfg, queueType }, 'debit').queues.find((q) => q.role === 'hold')!;
			expect(hold.arguments).toEqual({ 'x-queue-type': 'classic', 'x-dead-letter-exchange': 'billing', 'x-dead-letter-routing-key': 'debit' });
		}
	});

	test('the Trigger and the Billing Queue node read the same Queue Setup into the same topology, hold queue included', () => {
		const queueSetup = { exchange: 'billing-x', queueType: 'classic', retryDelays: '1s, 1m' };
		const trigger = readTriggerConfig((name, fallback) => ({ stage: 'debit', queueSetup })[name as 'stage'] ?? fallback, 'Trigger');
		const node = readTopology((name, fallback) => ({ queueSetup })[name as 'queueSetup'] ?? fallback);
		expect(stageTopology(node, 'debit')).toEqual(stageTopology(trigger.topology, 'debit'));
		expect(stageTopology(node, 'debit').queues.map((q) => q.name)).toContain('billing-x.debit.hold');
	});

	test('quorum stage queues dead-letter to parking at the delivery limit; retry queues expire back into the stage', () => {
		const [stage, retry] = stageTopology(cfg, 'debit').queues;
		expect(stage.arguments).toEqual({
			'x-queue-type': 'quorum',
			'x-dead-letter-exchange': 'billing',
			'x-dead-letter-routing-key': 'debit.parked',
			'x-dead-letter-strategy': 'at-least-once',
			'x-overflow': 'reject-publish',
			'x-delivery-limit': 20,
		});
		expect(retry.arguments).toEqual({
			'x-queue-type': 'quorum',
			'x-dead-letter-exchange': 'billing',
			'x-dead-letter-routing-key': 'debit',
			'x-dead-letter-strategy': 'at-least-once',
			'x-overflow': 'reject-publish',
			'x-message-ttl': 5000,
		});
		const classic = stageTopology({ ...cfg, queueType: 'classic' }, 'debit');
		expect(classic.queues[0].arguments).toEqual({ 'x-queue-type': 'classic', 'x-dead-letter-exchange': 'billing', 'x-dead-letter-routing-key': 'debit.parked' });
		expect(classic.queues.find((q) => q.role === 'parked')!.arguments).toEqual({ 'x-queue-type': 'classic' });
	});

	test('identical configuration gives identical specs (what makes declaration idempotent)', () => {
		expect(stageTopology(cfg, 'email')).toEqual(stageTopology({ ...cfg, retryDelaysMs: [...cfg.retryDelaysMs] }, 'email'));
		expect(stageTopology(cfg, 'email').key).not.toBe(stageTopology({ ...cfg, queueType: 'classic' }, 'email').key);
	});

	test('stage and exchange names are validated', () => {
		expect(validateStage(' notify ')).toBe('notify');
		expect(() => validateStage('in.voice', 'Stage')).toThrow('Invalid stage name "in.voice" in "Stage"');
		expect(() => validateStage('')).toThrow(TopologyError);
		expect(() => validateStage('a*')).toThrow(TopologyError);
		expect(validateExchange('billing-staging')).toBe('billing-staging');
		expect(() => validateExchange('amq.topic')).toThrow(/do not start with "amq\."/);
		expect(() => validateMaxAttempts(0, 'Max Attempts')).toThrow('"Max Attempts" must be a whole number from 1 to 1000, got 0');
	});
});

describe('retry or park', () => {
	const cfg = { exchange: 'billing', queueType: 'quorum' as const, retryDelaysMs: [5000, 30000] };

	test('retries with attempt + 1 until max attempts, then parks; park now skips the retries', () => {
		expect(decideRetry(cfg, 'debit', 1, 3)).toEqual({
			action: 'retry',
			nextAttempt: 2,
			delayMs: 5000,
			routingKey: 'debit.retry.5s',
			queue: 'billing.debit.retry.5s',
		});
		expect(decideRetry(cfg, 'debit', 2, 3)).toMatchObject({ action: 'retry', nextAttempt: 3, delayMs: 30000 });
		expect(decideRetry(cfg, 'debit', 3, 3)).toEqual({ action: 'park', reason: 'max-attempts', routingKey: 'debit.parked', queue: 'billing.debit.parked' });
		expect(decideRetry(cfg, 'debit', 1, 3, true)).toMatchObject({ action: 'park', reason: 'park-now' });
		expect(decideRetry(cfg, 'debit', 1, 1)).toMatchObject({ action: 'park', reason: 'max-attempts' });
	});
});

describe('trigger parameters', () => {
	const read = (params: Record<string, unknown>) =>
		readTriggerConfig((name, fallback) => (params[name] === undefined ? fallback : params[name]), 'Trigger');

	test('defaults: batch of 50 within 2 s, prefetch = batch size, 5 attempts, 256 KB, 25 min, 30 s', () => {
		expect(read({ stage: 'invoice' })).toEqual({
			stage: 'invoice',
			topology: { exchange: 'billing', queueType: 'quorum', retryDelaysMs: [5000, 30000, 120000, 600000] },
			batchSize: 50,
			batchWindowMs: 2000,
			prefetch: 50,
			maxAttempts: 5,
			maxMessageBytes: 262144,
			executionWaitMs: 1500000,
			closeWaitMs: 30000,
			nodeName: 'Trigger',
		});
		expect(read({ stage: 'invoice', mode: 'single', batchSize: 20 })).toMatchObject({ batchSize: 1, batchWindowMs: 0, prefetch: 1 });
		expect(read({ stage: 'invoice', options: { prefetch: 200 } })).toMatchObject({ prefetch: 200 });
	});

	test('bad values name their field', () => {
		expect(() => read({ stage: 'invoice', batchSize: 0 })).toThrow('"Batch Size" must be a whole number from 1 to 10000, got 0');
		expect(() => read({ stage: 'invoice', queueSetup: { queueType: 'lazy' } })).toThrow('Invalid queue type "lazy" in "Queue Setup → Queue Type"');
		expect(() => read({ stage: 'a b' })).toThrow(/in "Stage"/);
	});

	test('out-of-range options are refused (never clamped), as FieldErrors naming the parameter path', () => {
		const fieldOf = (params: Record<string, unknown>) => {
			try {
				read(params);
			} catch (error) {
				expect(error).toBeInstanceOf(FieldError);
				return (error as FieldError).field;
			}
			return undefined;
		};
		expect(fieldOf({ stage: 'invoice', options: { prefetch: 70000 } })).toBe('options.prefetch');
		expect(fieldOf({ stage: 'invoice', options: { closeWaitSeconds: -1 } })).toBe('options.closeWaitSeconds');
		expect(fieldOf({ stage: 'invoice', options: { executionWaitMinutes: 0 } })).toBe('options.executionWaitMinutes');
		expect(fieldOf({ stage: 'invoice', options: { maxMessageSizeKb: 0.5 } })).toBe('options.maxMessageSizeKb');
		expect(fieldOf({ stage: 'invoice', options: { maxAttempts: 1001 } })).toBe('options.maxAttempts');
		expect(fieldOf({ stage: 'invoice', batchWindowMs: 1.5 })).toBe('batchWindowMs');
		expect(fieldOf({ stage: 'invoice', queueSetup: { retryDelays: '5x' } })).toBe('queueSetup.retryDelays');
		expect(fieldOf({ stage: 'in.voice' })).toBe('stage');
		expect(read({ stage: 'invoice', options: { maxMessageSizeKb: 1.5, executionWaitMinutes: 0.5, closeWaitSeconds: 0 } })).toMatchObject({
			maxMessageBytes: 1536,
			executionWaitMs: 30000,
			closeWaitMs: 0,
		});
	});
});

describe('max message size: one setting, read the same way by the trigger and by Publish', () => {
	const option = (description: { properties: Array<{ name: string; options?: unknown[]; displayOptions?: unknown }> }, operation?: string) => {
		const collections = description.properties.filter(
			(p) => p.name === 'options' && (!operation || JSON.stringify(p.displayOptions ?? {}).includes(`"${operation}"`)),
		);
		return collections.flatMap((c) => (c.options ?? []) as Array<{ name: string; default?: unknown; typeOptions?: unknown }>).find((o) => o.name === 'maxMessageSizeKb');
	};

	test('both nodes offer Max Message Size with the same default and range; the reader refuses what is out of range', () => {
		const trigger = option(new BillingQueueTrigger().description);
		const publish = option(new BillingQueue().description, 'publish');
		expect(publish).toBeDefined();
		expect({ ...publish, description: undefined }).toEqual({ ...trigger, description: undefined });
		expect(trigger).toMatchObject({ default: 256, typeOptions: { minValue: 1, maxValue: 512 * 1024 } });
		expect(readMaxMessageBytes(undefined)).toBe(262144);
		expect(readMaxMessageBytes('')).toBe(262144);
		expect(readMaxMessageBytes(1.5)).toBe(1536);
		expect(() => readMaxMessageBytes(0)).toThrow(FieldError);
		expect(() => readMaxMessageBytes(0)).toThrow('"Max Message Size (KB)" must be a number from 1 to 524288, got 0');
	});
});

describe('deliver not before', () => {
	const fieldOf = (fn: () => unknown): string | undefined => {
		try {
			fn();
		} catch (error) {
			expect(error).toBeInstanceOf(FieldError);
			return (error as FieldError).field;
		}
		return undefined;
	};

	test('reads ISO date-times with a zone, days (00:00 UTC), Dates and Luxon-like values; empty is now', () => {
		expect(parseDeliverNotBefore('2026-12-14T09:00:00Z')).toBe(Date.UTC(2026, 11, 14, 9));
		expect(parseDeliverNotBefore('2026-12-14T10:00:00+01:00')).toBe(Date.UTC(2026, 11, 14, 9));
		expect(parseDeliverNotBefore('2026-12-14T04:30-0430')).toBe(Date.UTC(2026, 11, 14, 9));
		expect(parseDeliverNotBefore(' 2026-12-14 ')).toBe(Date.UTC(2026, 11, 14));
		expect(parseDeliverNotBefore('2026-12-14T09:00:00.250Z')).toBe(Date.UTC(2026, 11, 14, 9, 0, 0, 250));
		// Sub-millisecond digits round up: the time is never moved earlier.
		expect(parseDeliverNotBefore('2026-12-14T09:00:00.2501Z')).toBe(Date.UTC(2026, 11, 14, 9, 0, 0, 251));
		expect(parseDeliverNotBefore(new Date(Date.UTC(2026, 0, 1)))).toBe(Date.UTC(2026, 0, 1));
		expect(parseDeliverNotBefore({ toMillis: () => 1234 })).toBe(1234);
		expect(parseDeliverNotBefore('')).toBeUndefined();
		expect(parseDeliverNotBefore(undefined)).toBeUndefined();
		expect(parseDeliverNotBefore('  ')).toBeUndefined();
	});

	test('refuses what could mean another time, naming the option', () => {
		expect(() => parseDeliverNotBefore('2026-12-14T09:00:00')).toThrow('"Deliver Not Before" "2026-12-14T09:00:00" has no time zone: add Z or an offset such as +01:00');
		expect(() => parseDeliverNotBefore('14/12/2026')).toThrow('"Deliver Not Before" must be an ISO date-time, got "14/12/2026"');
		expect(() => parseDeliverNotBefore('2026-02-30')).toThrow(/must be an ISO date-time/);
		expect(() => parseDeliverNotBefore('2026-12-14T24:00:00Z')).toThrow(/is not a valid time/);
		expect(() => parseDeliverNotBefore(1765702800000)).toThrow(/must be an ISO date-time, got 1765702800000/);
		expect(() => parseDeliverNotBefore(new Date(Number.NaN))).toThrow(/invalid date/);
		// An expression that gives nothing (a missing due date) must not mean "now".
		expect(() => parseDeliverNotBefore('', true)).toThrow('"Deliver Not Before" is an expression that gave no value for this item (is the field it reads missing?)');
		expect(fieldOf(() => parseDeliverNotBefore(undefined, true))).toBe(DELIVER_NOT_BEFORE_FIELD);
		expect(fieldOf(() => parseDeliverNotBefore('soon'))).toBe('options.deliverNotBefore');
	});

	test('hold time: past or now is 0, the future is rounded up, beyond the 32-bit TTL limit is refused (never clamped)', () => {
		const now = Date.UTC(2026, 0, 1);
		expect(holdMs(now - 1, now)).toBe(0);
		expect(holdMs(now, now)).toBe(0);
		expect(holdMs(now + 1500, now)).toBe(1500);
		expect(holdMs(now + 0.2, now)).toBe(1);
		expect(holdMs(now + MAX_DELAY_MS, now)).toBe(MAX_DELAY_MS);
		expect(() => holdMs(now + MAX_DELAY_MS + 1, now)).toThrow(
			'"Deliver Not Before" 2026-02-19T17:02:47.296Z is 49.7 days ahead; RabbitMQ can hold a message at most 4294967295 ms (about 49.7 days)',
		);
		expect(fieldOf(() => holdMs(now + 60 * 86400000, now))).toBe('options.deliverNotBefore');
	});
});
