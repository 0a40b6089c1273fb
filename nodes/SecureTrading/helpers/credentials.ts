// Reads the `secureTradingApi` credential into what the transport needs. The credential itself
// is never copied to output items or error messages.
import type { ICredentialDataDecryptedObject } from 'n8n-workflow';
import { GATEWAY_URLS, endpointFor, type TransportConfig } from '../transport';

export interface SecureTradingConnection {
	transport: TransportConfig;
	siteReference: string;
}

export class CredentialError extends Error {
	constructor(readonly field: string, message: string) {
		super(message);
		this.name = 'CredentialError';
	}
}

export function connectionFromCredentials(data: ICredentialDataDecryptedObject | undefined): SecureTradingConnection {
	const text = (key: string): string => {
		const value = data?.[key];
		return typeof value === 'string' ? value.trim() : '';
	};
	const username = text('username');
	const password = typeof data?.password === 'string' ? data.password : '';
	const siteReference = text('siteReference');
	if (!username) throw new CredentialError('username', 'The Secure Trading credential has no webservices username');
	if (!password) throw new CredentialError('password', 'The Secure Trading credential has no password');
	if (!siteReference) throw new CredentialError('siteReference', 'The Secure Trading credential has no site reference');

	const gateway = text('gateway') || 'eu';
	let base: string;
	if (gateway === 'custom') {
		base = text('customUrl');
		if (!base) throw new CredentialError('customUrl', 'The Secure Trading credential uses a custom gateway but has no Custom URL');
	} else if (gateway in GATEWAY_URLS) {
		base = GATEWAY_URLS[gateway as keyof typeof GATEWAY_URLS];
	} else {
		throw new CredentialError('gateway', `Unknown Secure Trading gateway "${gateway}"`);
	}
	let endpoint: string;
	try {
		endpoint = endpointFor(base);
	} catch {
		throw new CredentialError('customUrl', `The Secure Trading gateway URL "${base}" is not a valid URL`);
	}
	return { transport: { endpoint, username, password }, siteReference };
}
