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
export { BrokerError, toBrokerError, type BrokerErrorKind } from './errors';
export {
	settingsFromCredentials,
	connectionOptions,
	describeEndpoint,
	normalisePem,
	SettingsError,
	type BrokerSettings,
} from './settings';
