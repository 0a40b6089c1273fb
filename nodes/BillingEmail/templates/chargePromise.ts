import type { ChargeTiming } from './types';

/**
 * The one sentence of the invoice email that says when the card is charged (`{{chargePromise}}`).
 * It must match what the pipeline does: change a sentence only together with the debit stage's
 * schedule. `{{dueDate}}` is filled like any placeholder.
 */
export const CHARGE_PROMISES: Readonly<Record<ChargeTiming, string>> = {
	onInvoicing: 'We will charge the card we hold for your account today.',
	onDueDate: 'We will charge the card we hold for your account on or after {{dueDate}}.',
	noCard: 'Please pay by {{dueDate}} using the payment details on the invoice.',
};
