// The shapes the transport moves: a declared topology and a message in both directions. The
// helpers build them (names, envelope); the transport only needs their plain form.

/** Header carrying the id of one physical publish; the channel matches returned messages by it. */
export const PUBLISH_ID_HEADER = 'x-billing-publish-id';

export interface QueueSpec {
	name: string;
	bindingKey: string;
	arguments: Record<string, string | number>;
	role: 'stage' | 'retry' | 'parked' | 'hold';
	delayMs?: number;
}

export interface TopologySpec {
	/** A stable key for "already declared on this connection" caching. */
	key: string;
	exchange: string;
	queues: QueueSpec[];
}

/** Properties of an outgoing message, in the shape amqplib's publish options take. */
export interface PublishProperties {
	persistent: true;
	contentType: string;
	contentEncoding?: string;
	messageId?: string;
	correlationId?: string;
	timestamp: number;
	appId: string;
	type?: string;
	/** Per-message TTL in ms, as the decimal string AMQP carries (held messages only). */
	expiration?: string;
	headers: Record<string, string | number | boolean>;
}

export interface OutgoingMessage {
	routingKey: string;
	content: Buffer;
	properties: PublishProperties;
	/** Also in the headers under PUBLISH_ID_HEADER. */
	publishId: string;
}

/** What the transport hands over for a delivery, independent of amqplib's types. */
export interface IncomingMessage {
	content: Buffer;
	properties: {
		messageId?: string;
		correlationId?: string;
		contentType?: string;
		contentEncoding?: string;
		timestamp?: number;
		type?: string;
		appId?: string;
		headers?: Record<string, unknown>;
	};
	redelivered: boolean;
}
