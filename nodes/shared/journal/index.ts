// The shared journal: records and liveness-bound locks in PostgreSQL that every n8n process
// (queue-mode workers included) sees. Used by Billing Email's Sent Record and Secure Trading's
// Charge Record; the connection is n8n's own `postgres` credential.
export * from './errors';
export * from './journal';
export * from './settings';
