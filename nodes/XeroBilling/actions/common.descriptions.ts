// Descriptions shared by the Xero operations. Operations place them with forOperation, so these
// carry no resource/operation conditions of their own.
import type { IDisplayOptions, INodeProperties } from 'n8n-workflow';
import { optionsCollection } from '../../shared/descriptions';

/** Settings every operation shares: batch size and how hard to try against Xero. */
export function callOptions(opts: { batch?: boolean } = {}): INodeProperties {
	return optionsCollection([
		...(opts.batch === false
			? []
			: [
					{
						displayName: 'Batch Size',
						name: 'batchSize',
						type: 'number' as const,
						default: 50,
						typeOptions: { minValue: 1, maxValue: 50 },
						description: 'Records per Xero call (Xero recommends at most 50)',
					},
				]),
		{
			displayName: 'Max Rate-Limit Wait (Seconds)',
			name: 'maxRateLimitWaitSeconds',
			type: 'number',
			default: 180,
			typeOptions: { minValue: 0 },
			description: 'How long one call may keep waiting out Xero 429 answers (Retry-After) before the node gives up',
		},
		{
			displayName: 'Max Retries',
			name: 'maxRetries',
			type: 'number',
			default: 4,
			typeOptions: { minValue: 0, maxValue: 10 },
			description: 'Retries after Xero 5xx answers, timeouts and dropped connections (always with the same idempotency key)',
		},
		{
			displayName: 'Request Timeout (Ms)',
			name: 'timeoutMs',
			type: 'number',
			default: 30000,
			typeOptions: { minValue: 100 },
			description: 'How long to wait for one Xero answer before retrying',
		},
		{
			displayName: 'Retry Delay (Ms)',
			name: 'retryDelayMs',
			type: 'number',
			default: 500,
			typeOptions: { minValue: 0 },
			description: 'First backoff delay; it doubles with each retry',
		},
	]);
}

/** A text parameter naming the input field a value is read from; `show` adds conditions on other parameters. */
export function fieldProperty(
	name: string,
	displayName: string,
	defaultPath: string,
	description: string,
	required = true,
	show?: IDisplayOptions['show'],
): INodeProperties {
	return {
		displayName,
		name,
		type: 'string',
		default: defaultPath,
		required,
		placeholder: defaultPath || 'e.g. date',
		description,
		...(show ? { displayOptions: { show } } : {}),
	};
}
