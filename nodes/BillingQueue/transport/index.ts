// The only module that talks to RabbitMQ (amqplib). Everything else goes through here.
export { BrokerChannel, type Delivery, type QueueCounts } from './channel';
export {
	acquireConnection,
	closeAllConnections,
	pooledConnections,
	testConnection,
	PooledConnection,
	type ConnectionInfo,
	type ConnectionLease,
	type ConnectionRole,
} from './connection';
export { connectionFromCredentials, CREDENTIAL_TYPE, parseHosts } from './credentials';
export { BrokerError, toBrokerError, type BrokerErrorKind } from './errors';
export { publishConfirmed } from './publishing';
export { connectionOptions, describeEndpoint, endpointsOf, normalisePem, type BrokerEndpoint, type BrokerSettings } from './settings';
export type { IncomingMessage, OutgoingMessage, PublishProperties, QueueSpec, TopologySpec } from './types';
export { PUBLISH_ID_HEADER } from './types';
export { abortableWait, within } from './wait';
