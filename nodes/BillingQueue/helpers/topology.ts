// The one place that names the billing queues and fixes their arguments. The Trigger and the
// Billing Queue node both declare through this, so a declaration from either side is
// idempotent (RabbitMQ refuses a redeclaration whose arguments differ).
//
// Per stage, with exchange E (default `billing`) and stage S:
//   E.S                 stage queue, bound with routing key `S`
//   E.S.retry.<delay>   one TTL queue per distinct retry delay (e.g. `E.S.retry.30s`), bound with
//                       `S.retry.<delay>`; expired messages dead-letter back to E with key `S`
//   E.S.parked          parking queue, bound with `S.parked`
//   E.S.hold            hold queue (always classic), bound with `S.hold`: messages published with
//                       a per-message TTL ("Deliver Not Before") wait here and dead-letter back
//                       to E with key `S` when it expires
// Retry queues are named by their delay rather than by attempt number, so changing the delay
// list never redeclares an existing queue with a different TTL (which RabbitMQ would refuse).

import { FieldError } from '../../shared/errors';
import { parseNumber } from '../../shared/parameters';
import type { QueueSpec, TopologySpec } from '../transport';

export type { QueueSpec, TopologySpec };

export type QueueType = 'quorum' | 'classic';

export interface TopologyConfig {
	exchange: string;
	queueType: QueueType;
	/** Delay before attempt n+1, for n = 1..; the last one repeats for further attempts. */
	retryDelaysMs: number[];
}

/** Bad topology input: a FieldError (kit order `(field, message)`) naming the parameter. */
export class TopologyError extends FieldError {
	constructor(field: string, message: string) {
		super(field, message);
		this.name = 'TopologyError';
	}
}

export const DEFAULT_EXCHANGE = 'billing';
export const DEFAULT_RETRY_DELAYS = '5s, 30s, 2m, 10m';
export const DEFAULT_MAX_ATTEMPTS = 5;
/**
 * Quorum stage queues get an explicit delivery limit (RabbitMQ 4.x applies 20 by default,
 * 3.x none); a message returned this often (crashing consumers, dropped connections) is
 * dead-lettered into the parking queue instead of being dropped.
 */
export const QUORUM_DELIVERY_LIMIT = 20;
/** x-message-ttl is an unsigned 32-bit number of milliseconds (about 49.7 days). */
export const MAX_DELAY_MS = 4294967295;

const STAGE_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
const EXCHANGE_PATTERN = /^[A-Za-z0-9_.:-]{1,120}$/;

// Each validator names the parameter path in `field` and its editor label in the message.
export function validateStage(stage: unknown, field = 'stage', label = field): string {
	const value = typeof stage === 'string' ? stage.trim() : '';
	if (!STAGE_PATTERN.test(value)) {
		throw new TopologyError(
			field,
			`Invalid stage name ${JSON.stringify(stage)} in "${label}": use 1-64 letters, digits, "_" or "-" (no dots, they separate routing-key parts)`,
		);
	}
	return value;
}

export function validateExchange(exchange: unknown, field = 'exchange', label = field): string {
	const value = typeof exchange === 'string' ? exchange.trim() : '';
	if (!EXCHANGE_PATTERN.test(value) || value.startsWith('amq.')) {
		throw new TopologyError(
			field,
			`Invalid exchange name ${JSON.stringify(exchange)} in "${label}": use letters, digits, "_", "-", "." or ":" and do not start with "amq."`,
		);
	}
	return value;
}

export function validateQueueType(type: unknown, field = 'queueType', label = field): QueueType {
	if (type === 'quorum' || type === 'classic') return type;
	throw new TopologyError(field, `Invalid queue type ${JSON.stringify(type)} in "${label}": use "quorum" or "classic"`);
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60000, h: 3600000, d: 86400000 };

/** Parses "5s, 30s, 2m, 10m" (units ms, s, m, h, d) into milliseconds. */
export function parseDelays(text: unknown, field = 'retryDelays', label = field): number[] {
	const source = Array.isArray(text) ? text.join(',') : String(text ?? '');
	const parts = source
		.split(/[,\s]+/)
		.map((p) => p.trim())
		.filter(Boolean);
	if (parts.length === 0) {
		throw new TopologyError(field, `"${label}" needs at least one delay, e.g. "${DEFAULT_RETRY_DELAYS}"`);
	}
	return parts.map((part) => {
		const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/i.exec(part);
		if (!match) {
			throw new TopologyError(field, `Invalid delay "${part}" in "${label}": write a number with a unit (ms, s, m, h, d), e.g. 30s`);
		}
		const ms = Math.round(Number(match[1]) * UNIT_MS[match[2].toLowerCase()]);
		if (ms < 1 || ms > MAX_DELAY_MS) {
			throw new TopologyError(field, `Delay "${part}" in "${label}" must be between 1ms and 49d (RabbitMQ's TTL limit)`);
		}
		return ms;
	});
}

/** 5000 → "5s", 120000 → "2m", 1500 → "1500ms"; used in queue names, so it is exact. */
export function formatDelay(ms: number): string {
	for (const unit of ['d', 'h', 'm', 's'] as const) {
		if (ms % UNIT_MS[unit] === 0) return `${ms / UNIT_MS[unit]}${unit}`;
	}
	return `${ms}ms`;
}

export function stageQueueName(cfg: Pick<TopologyConfig, 'exchange'>, stage: string): string {
	return `${cfg.exchange}.${stage}`;
}

export function parkedQueueName(cfg: Pick<TopologyConfig, 'exchange'>, stage: string): string {
	return `${cfg.exchange}.${stage}.parked`;
}

export function holdQueueName(cfg: Pick<TopologyConfig, 'exchange'>, stage: string): string {
	return `${cfg.exchange}.${stage}.hold`;
}

export function retryQueueName(cfg: Pick<TopologyConfig, 'exchange'>, stage: string, delayMs: number): string {
	return `${cfg.exchange}.${stage}.retry.${formatDelay(delayMs)}`;
}

export const routingKeys = {
	stage: (stage: string) => stage,
	parked: (stage: string) => `${stage}.parked`,
	hold: (stage: string) => `${stage}.hold`,
	retry: (stage: string, delayMs: number) => `${stage}.retry.${formatDelay(delayMs)}`,
};

function typeArgs(type: QueueType, exchange: string, deadLetterKey: string): Record<string, string | number> {
	const args: Record<string, string | number> = {
		'x-queue-type': type,
		'x-dead-letter-exchange': exchange,
		'x-dead-letter-routing-key': deadLetterKey,
	};
	if (type === 'quorum') {
		// At-least-once dead-lettering (RabbitMQ >= 3.10) so a message moving out of a quorum
		// queue (retry expiry, delivery limit) is never dropped on the way; it requires
		// reject-publish overflow, which has no effect without a length limit.
		args['x-dead-letter-strategy'] = 'at-least-once';
		args['x-overflow'] = 'reject-publish';
	}
	return args;
}

export function stageTopology(cfg: TopologyConfig, stage: string): TopologySpec {
	const exchange = validateExchange(cfg.exchange);
	const name = validateStage(stage);
	const type = validateQueueType(cfg.queueType);
	const delays = [...new Set(cfg.retryDelaysMs)];

	const stageArgs = typeArgs(type, exchange, routingKeys.parked(name));
	if (type === 'quorum') stageArgs['x-delivery-limit'] = QUORUM_DELIVERY_LIMIT;

	const queues: QueueSpec[] = [
		{ name: stageQueueName(cfg, name), bindingKey: routingKeys.stage(name), arguments: stageArgs, role: 'stage' },
		...delays.map(
			(delayMs): QueueSpec => ({
				name: retryQueueName(cfg, name, delayMs),
				bindingKey: routingKeys.retry(name, delayMs),
				arguments: { ...typeArgs(type, exchange, routingKeys.stage(name)), 'x-message-ttl': delayMs },
				role: 'retry',
				delayMs,
			}),
		),
		// Parking is always a classic queue: peeking returns messages unacknowledged, and on
		// quorum queues every such return counts towards a delivery limit (20 by default on 4.x)
		// after which the broker would drop the very messages we park to keep.
		{ name: parkedQueueName(cfg, name), bindingKey: routingKeys.parked(name), arguments: { 'x-queue-type': 'classic' }, role: 'parked' },
		// Holding is always a classic queue: it expires per-message TTLs only at its head, so a
		// message can leave later than its time but never earlier (see the README). Added last and
		// new, so declaring it never conflicts with what existing deployments already declared.
		{
			name: holdQueueName(cfg, name),
			bindingKey: routingKeys.hold(name),
			arguments: { 'x-queue-type': 'classic', 'x-dead-letter-exchange': exchange, 'x-dead-letter-routing-key': routingKeys.stage(name) },
			role: 'hold',
		},
	];
	return { key: `${exchange}|${name}|${type}|${delays.join(',')}`, exchange, queues };
}

/** Delay after the failure of `attempt` (1-based); attempts past the list reuse the last delay. */
export function delayForAttempt(delaysMs: number[], attempt: number): number {
	const index = Math.min(Math.max(attempt, 1), delaysMs.length) - 1;
	return delaysMs[index];
}

export type RetryDecision =
	| { action: 'retry'; nextAttempt: number; delayMs: number; routingKey: string; queue: string }
	| { action: 'park'; reason: 'max-attempts' | 'park-now'; routingKey: string; queue: string };

export function decideRetry(
	cfg: TopologyConfig,
	stage: string,
	attempt: number,
	maxAttempts: number,
	parkNow = false,
): RetryDecision {
	if (parkNow) return { action: 'park', reason: 'park-now', routingKey: routingKeys.parked(stage), queue: parkedQueueName(cfg, stage) };
	if (attempt >= maxAttempts) {
		return { action: 'park', reason: 'max-attempts', routingKey: routingKeys.parked(stage), queue: parkedQueueName(cfg, stage) };
	}
	const delayMs = delayForAttempt(cfg.retryDelaysMs, attempt);
	return {
		action: 'retry',
		nextAttempt: attempt + 1,
		delayMs,
		routingKey: routingKeys.retry(stage, delayMs),
		queue: retryQueueName(cfg, stage, delayMs),
	};
}

export function validateMaxAttempts(value: unknown, field = 'maxAttempts', label = field): number {
	return parseNumber(value, field, { default: DEFAULT_MAX_ATTEMPTS, min: 1, max: 1000, integer: true, label });
}
