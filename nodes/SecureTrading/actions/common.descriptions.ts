// Descriptions shared by several operations. Operations set where they show with
// forOperation (nodes/shared/descriptions), so these carry no resource/operation conditions of their own.
import type { IDisplayOptions, INodeProperties } from 'n8n-workflow';
import { amountUnitProperty } from '../../shared/descriptions';

export const timeoutOption: INodeProperties = {
	displayName: 'Timeout (Ms)',
	name: 'timeoutMs',
	type: 'number',
	default: 60000,
	typeOptions: { minValue: 100 },
	description: 'Longest wait for the whole request, as the official libraries (60 s). A request that times out after it was sent is never re-sent blindly.',
};

export const connectTimeoutOption: INodeProperties = {
	displayName: 'Connect Timeout (Ms)',
	name: 'connectTimeoutMs',
	type: 'number',
	default: 10000,
	typeOptions: { minValue: 50 },
	description: 'Longest wait to open the connection. Only connection failures are retried (nothing was sent yet).',
};

export const concurrencyOption: INodeProperties = {
	displayName: 'Concurrency',
	name: 'concurrency',
	type: 'number',
	default: 10,
	typeOptions: { minValue: 1, maxValue: 50 },
	description:
		'Requests in flight at once. An AUTH takes about a second, so a batch of 50 charged one by one waits 50 s. Items with the same billing key still run one after the other, in item order.',
};

export const includeInputOption: INodeProperties = {
	displayName: 'Include Input Data',
	name: 'includeInputData',
	type: 'boolean',
	default: true,
	description: 'Whether to copy the incoming item under "input" in the output, so later steps keep the billing data',
};

export const verificationDelayOption: INodeProperties = {
	displayName: 'Verification Delay (Ms)',
	name: 'verificationDelayMs',
	type: 'number',
	default: 2000,
	typeOptions: { minValue: 0 },
	description: 'When the result of a request is unknown (timeout, dropped connection, 5xx, 60010...), how long to wait before asking the gateway what happened',
};

/** The stored card to charge or check: the reference of the transaction that stored it. */
export function storedCardReferenceProperty(description: string): INodeProperties {
	return {
		displayName: 'Stored Card Reference',
		name: 'storedCardReference',
		type: 'string',
		default: '',
		required: true,
		placeholder: '55-9-35032',
		description,
	};
}

/** Fields shared by operations that take an amount; `displayOptions` narrows them further (e.g. partial refunds only). */
export function amountFields(displayOptions?: IDisplayOptions): INodeProperties[] {
	const fields: INodeProperties[] = [
		{
			displayName: 'Amount',
			name: 'amount',
			type: 'string',
			default: '',
			required: true,
			placeholder: '1050',
			description: 'The amount, in minor units ("1050" = 10.50 GBP) or major units ("10.50") as chosen below',
		},
		// Minor units by default, as every node of this package (Xero Billing, Billing Email): the pipeline carries amountMinor.
		amountUnitProperty('How to read the amount. It is sent in minor units of the currency (JPY 0, GBP 2, BHD 3 decimals).'),
		{
			displayName: 'Currency',
			name: 'currency',
			type: 'string',
			default: 'GBP',
			required: true,
			placeholder: 'GBP',
			description: 'ISO 4217 currency code',
		},
	];
	return displayOptions ? fields.map((field) => ({ ...field, displayOptions })) : fields;
}
