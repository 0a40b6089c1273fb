// The `secureTradingApi` credential → what the transport needs, in one place (the router's
// connect and the credential test both use it). The credential is never copied to output items
// or error messages.
import type { ICredentialDataDecryptedObject } from 'n8n-workflow';
import { FieldError } from '../../shared/errors';
import { GATEWAY_URLS, endpointFor, type TransportConfig } from './index';

export interface SecureTradingConnection {
	transport: TransportConfig;
	siteReference: string;
}

const PREFIX = 'Secure Trading credential:';

export function connectionFromCredentials(data: ICredentialDataDecryptedObject | undefined): SecureTradingConnection {
	const text = (key: string): string => {
		const value = data?.[key];
		return typeof value === 'string' ? value.trim() : '';
	};
	const username = text('username');
	// The password is used as typed: surrounding spaces may be part of it.
	const password = typeof data?.password === 'string' ? data.password : '';
	const siteReference = text('siteReference');
	if (!username) throw new FieldError('username', `${PREFIX} Webservices Username is empty`);
	if (!password) throw new FieldError('password', `${PREFIX} Password is empty`);
	if (!siteReference) throw new FieldError('siteReference', `${PREFIX} Site Reference is empty`);

	const gateway = text('gateway') || 'eu';
	let base: string;
	if (gateway === 'custom') {
		base = text('customUrl');
		if (!base) throw new FieldError('customUrl', `${PREFIX} Custom URL is empty (Gateway is set to Custom URL)`);
	} else if (Object.prototype.hasOwnProperty.call(GATEWAY_URLS, gateway)) {
		base = GATEWAY_URLS[gateway as keyof typeof GATEWAY_URLS];
	} else {
		throw new FieldError('gateway', `${PREFIX} Gateway "${gateway}" is not one of ${Object.keys(GATEWAY_URLS).join(', ')}, custom`);
	}
	let endpoint: string;
	try {
		endpoint = endpointFor(base);
	} catch {
		// eslint-disable-next-line @n8n/community-nodes/require-node-api-error -- below the router: toNodeError makes it a NodeApiError/NodeOperationError once
		throw new FieldError('customUrl', `${PREFIX} Custom URL "${base}" is not a valid URL`);
	}
	return { transport: { endpoint, username, password, requests: { count: 0 } }, siteReference };
}
