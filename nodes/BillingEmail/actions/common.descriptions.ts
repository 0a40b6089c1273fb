// Field descriptions shared by both operations. Defaults read the usual item fields, so a
// workflow built from the pipeline's queues needs no mapping; each can be overridden.
import type { INodeProperties } from 'n8n-workflow';
import { amountUnitProperty, choiceProperty, optionsCollection } from '../../shared/descriptions';
import { PLACEHOLDERS } from '../templates';

const placeholderHint = `Placeholders (fixed mode, not expressions): ${PLACEHOLDERS.map((p) => `{{${p}}}`).join(', ')}`;

export const recipientFields: INodeProperties[] = [
	{
		displayName: 'Recipient Email',
		name: 'recipientEmail',
		type: 'string',
		default: '={{ $json.billingEmail }}',
		required: true,
		placeholder: 'accounts@client.example',
		description: 'Billing address of the client; several may be separated by commas',
	},
	{
		displayName: 'Client Name',
		name: 'clientName',
		type: 'string',
		default: '={{ $json.clientName }}',
		description: 'Shown in the greeting and as the recipient display name',
	},
	{
		displayName: 'Billing Key',
		name: 'billingKey',
		type: 'string',
		default: '={{ $json.billingKey }}',
		required: true,
		description: 'Identifies the client and billing period; the Message-ID is derived from it so resends are recognisable',
	},
	{
		displayName: 'Invoice Number',
		name: 'invoiceNumber',
		type: 'string',
		default: '={{ $json.invoiceNumber }}',
		description: "The invoice number Xero gave the invoice, shown in the subject and body (e.g. INV-0042)",
	},
	{
		displayName: 'Amount',
		name: 'amount',
		type: 'string',
		default: '={{ $json.amountMinor }}',
		description: 'Invoice total, in the format chosen below',
	},
	amountUnitProperty('Whether Amount is in minor units (pence, cents: 1250) or major units (12.50)'),
	{
		displayName: 'Currency',
		name: 'currency',
		type: 'string',
		default: '={{ $json.currency }}',
		description: 'ISO 4217 code, e.g. GBP',
	},
	{
		displayName: 'Due Date',
		name: 'dueDate',
		type: 'string',
		default: '={{ $json.dueDate }}',
		description: 'YYYY-MM-DD or an ISO timestamp',
	},
];

const binaryPropertyField: INodeProperties = {
	displayName: 'Invoice PDF Binary Property',
	name: 'binaryPropertyName',
	type: 'string',
	default: 'data',
	displayOptions: { show: { attachInvoice: [true] } },
	description: 'Name of the binary property holding the PDF. Items without it are sent without attachment unless "Require Attachment" is on.',
};

/** Invoices carry their PDF by default; notices only when asked. */
export const invoiceAttachmentFields: INodeProperties[] = [
	{
		displayName: 'Attach Invoice PDF',
		name: 'attachInvoice',
		type: 'boolean',
		default: true,
		description: 'Whether to attach the invoice PDF when the item carries it as binary data',
	},
	binaryPropertyField,
];

export const noticeAttachmentFields: INodeProperties[] = [
	{
		displayName: 'Attach Invoice PDF',
		name: 'attachInvoice',
		type: 'boolean',
		default: false,
		description: 'Whether to attach the invoice PDF when the item carries it as binary data',
	},
	binaryPropertyField,
];

export const templateOverrideFields: INodeProperties[] = [
	optionsCollection(
		[
			{ displayName: 'Subject', name: 'subject', type: 'string', default: '', description: placeholderHint },
			{ displayName: 'HTML Body', name: 'html', type: 'string', typeOptions: { rows: 8 }, default: '', description: placeholderHint },
			{ displayName: 'Text Body', name: 'text', type: 'string', typeOptions: { rows: 8 }, default: '', description: placeholderHint },
		],
		{
			displayName: 'Template Overrides',
			name: 'templateOverrides',
			placeholder: 'Add Override',
			description: `Replace parts of the built-in template. ${placeholderHint}. Values are HTML-escaped in the HTML body.`,
		},
	),
];

/**
 * Where accepted emails are recorded, so a redelivered batch skips them. PostgreSQL is the one that
 * reaches across queue-mode workers, each of which has its own user folder.
 */
export const sentRecordFields: INodeProperties[] = [
	choiceProperty(
		'Sent Record',
		'sentRecord',
		'file',
		[
			{
				name: 'File in the User Folder',
				value: 'file',
				description:
					"A journal file per day in this n8n's user folder (or the Journal Folder option). Only processes that share the folder know each other's sends.",
			},
			{
				name: 'PostgreSQL, Shared by Every Worker',
				value: 'postgres',
				description:
					'A table in the database of a Postgres credential. Every n8n process and queue-mode worker skips what any of them sent, and two never send the same email at once. Use this in queue mode.',
			},
			{ name: 'Off', value: 'off', description: 'Nothing is recorded or skipped: a redelivered batch is emailed again' },
		],
		'Where the node records each email the SMTP server accepted (kept 60 days), so a batch redelivered after a crash does not email clients twice. Skipped items leave on the Sent output with status alreadySent.',
	),
];

export const optionFields: INodeProperties[] = [
	optionsCollection([
		{
			displayName: 'Attachment File Name',
			name: 'attachmentFileName',
			type: 'string',
			default: '',
			description: 'Defaults to the binary file name, else invoice-NUMBER.pdf',
		},
		{ displayName: 'BCC', name: 'bcc', type: 'string', default: '', description: 'Comma-separated addresses copied blind (e.g. an archive mailbox)' },
		{
			displayName: 'Concurrency',
			name: 'concurrency',
			type: 'number',
			typeOptions: { minValue: 1, maxValue: 20 },
			default: 5,
			description: 'Emails in flight at once over the pooled SMTP connections',
		},
		{ displayName: 'From', name: 'from', type: 'string', default: '', placeholder: 'Acme Accounts <accounts@example.com>', description: "Overrides the credential's Default Sender" },
		{
			displayName: 'Journal Folder',
			name: 'journalFolder',
			type: 'string',
			default: '',
			placeholder: '/shared/billing-email-journal',
			description:
				"For Sent Record File: where sent Message-IDs are recorded; defaults to billing-email-journal in n8n's user folder. Point several n8n instances at one shared folder so they know each other's sends, or use Sent Record PostgreSQL.",
		},
		{ displayName: 'Locale', name: 'locale', type: 'string', default: 'en-GB', description: 'Formats amounts and dates (BCP 47, e.g. en-GB, de-DE)' },
		{
			displayName: 'Message-ID Domain',
			name: 'messageIdDomain',
			type: 'string',
			default: '',
			description: 'Domain of the generated Message-ID; defaults to the sender domain',
		},
		{ displayName: 'Reply To', name: 'replyTo', type: 'string', default: '' },
		{
			displayName: 'Require Attachment',
			name: 'requireAttachment',
			type: 'boolean',
			default: false,
			description: 'Whether an item without the invoice PDF is an error instead of being sent without it',
		},
		{
			displayName: 'Skip Already Sent',
			name: 'skipAlreadySent',
			type: 'boolean',
			default: true,
			description:
				'Whether to skip emails already sent, kept for workflows made before Sent Record: off means the same as Sent Record Off (nothing recorded or skipped). Use Sent Record instead.',
		},
	]),
];
