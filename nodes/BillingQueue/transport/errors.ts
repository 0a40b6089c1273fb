// Broker failures with a kind the nodes can act on and RabbitMQ's own words kept intact. As a
// ServiceError, `code` is the AMQP reply code when RabbitMQ sent one (406, 404, 403, 530), else
// the kind, and `retryable` says whether the same call may succeed later.
import { ServiceError } from '../../shared/errors';
import { redactSecrets } from '../../shared/redact';

export type BrokerErrorKind =
	| 'connect' // could not open a connection (refused, DNS, TLS, login, vhost)
	| 'timeout' // gave up waiting for the broker
	| 'closed' // the channel or connection went away underneath an operation
	| 'precondition' // a declaration disagreed with an existing queue/exchange (406)
	| 'not-found' // queue/exchange does not exist (404)
	| 'unroutable' // a mandatory publish matched no queue
	| 'nacked' // the broker refused to take responsibility for a message
	| 'protocol'; // anything else the broker reported

/** Kinds that heal by themselves (a reconnect, a redeclare, the broker recovering). */
const TRANSIENT: ReadonlySet<BrokerErrorKind> = new Set(['connect', 'timeout', 'closed', 'unroutable', 'nacked']);

export interface BrokerErrorOptions {
	/** RabbitMQ's own text, e.g. `PRECONDITION_FAILED - inequivalent arg 'x-queue-type' ...`. */
	brokerMessage?: string;
	/** The AMQP reply code, or the socket error code. */
	replyCode?: number | string;
	/** Overrides the kind's default (e.g. a refused login is a `connect` failure that will not heal). */
	retryable?: boolean;
}

export class BrokerError extends ServiceError {
	readonly kind: BrokerErrorKind;
	readonly brokerMessage?: string;
	readonly replyCode?: number | string;

	constructor(message: string, kind: BrokerErrorKind, options: BrokerErrorOptions = {}) {
		// A connection error can name the AMQP URL, password included (amqp://user:password@host).
		const text = redactSecrets(message);
		const brokerMessage = options.brokerMessage === undefined ? undefined : redactSecrets(options.brokerMessage);
		super(text, {
			code: typeof options.replyCode === 'number' ? options.replyCode : kind,
			retryable: options.retryable ?? TRANSIENT.has(kind),
			description: brokerMessage && brokerMessage !== text ? `RabbitMQ: ${brokerMessage}` : undefined,
		});
		this.name = 'BrokerError';
		this.kind = kind;
		this.brokerMessage = brokerMessage;
		this.replyCode = options.replyCode;
	}
}

interface AmqpLikeError extends Error {
	code?: number | string;
	classId?: number;
	methodId?: number;
}

/** The text RabbitMQ sent, e.g. `PRECONDITION_FAILED - inequivalent arg 'x-queue-type' ...`. */
function replyText(message: string): string | undefined {
	const m = /with message "(.*)"\s*$/s.exec(message);
	return m ? m[1] : undefined;
}

/** An Error, also one from another realm (Node's socket errors under Jest's VM fail `instanceof Error`). */
export function asError(error: unknown): Error {
	if (error instanceof Error) return error;
	if (error && typeof error === 'object' && typeof (error as Error).message === 'string') return error as Error;
	return new Error(String(error));
}

export function toBrokerError(error: unknown, context: string): BrokerError {
	if (error instanceof BrokerError) return error;
	const err = asError(error) as AmqpLikeError;
	const text = err.message || String(error);
	const reply = replyText(text) ?? text;
	const code = err.code;
	if (code === 406 || /PRECONDITION_FAILED/.test(text)) {
		return new BrokerError(`${context}: RabbitMQ refused the declaration (${reply})`, 'precondition', { brokerMessage: reply, replyCode: 406 });
	}
	if (code === 404 || /NOT_FOUND/.test(text)) {
		return new BrokerError(`${context}: ${reply}`, 'not-found', { brokerMessage: reply, replyCode: 404 });
	}
	if (/ACCESS_REFUSED|ACCESS-REFUSED/.test(text) || code === 403) {
		return new BrokerError(`${context}: login refused, check user and password (${reply})`, 'connect', { brokerMessage: reply, replyCode: 403, retryable: false });
	}
	// amqplib reports a refused connection.open (530 NOT_ALLOWED: unknown vhost or no permission)
	// only as an unexpected frame, without RabbitMQ's text.
	if (/Expected ConnectionOpenOk; got <ConnectionClose/.test(text)) {
		return new BrokerError(
			`${context}: RabbitMQ refused to open the virtual host; it does not exist or the user has no permission for it`,
			'connect',
			{ brokerMessage: text, replyCode: 530, retryable: false },
		);
	}
	if (/NOT_ALLOWED|NOT-ALLOWED|vhost/i.test(text) && /530|NOT_ALLOWED|NOT-ALLOWED/.test(text)) {
		return new BrokerError(`${context}: access to the virtual host was refused (${reply})`, 'connect', { brokerMessage: reply, replyCode: 530, retryable: false });
	}
	if (typeof code === 'string' && /^(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|ECONNRESET|ETIMEDOUT)$/.test(code)) {
		return new BrokerError(`${context}: ${text}`, 'connect', { brokerMessage: text, replyCode: code });
	}
	if (/certificate|self[- ]signed|SSL|TLS|handshake/i.test(text) || (typeof code === 'string' && code.startsWith('ERR_TLS'))) {
		// A certificate problem is configuration: retrying will not fix it.
		return new BrokerError(`${context}: ${text}`, 'connect', { brokerMessage: text, replyCode: code, retryable: false });
	}
	if (/Channel closed|Connection closed|channel ended|IllegalOperationError|CONNECTION_FORCED|CONNECTION-FORCED/i.test(text) || err.name === 'IllegalOperationError') {
		return new BrokerError(`${context}: ${text}`, 'closed', { brokerMessage: reply, replyCode: code });
	}
	return new BrokerError(`${context}: ${text}`, 'protocol', { brokerMessage: reply, replyCode: code });
}
