// Turns the decrypted credential into the transport's connection settings, refusing what would
// only fail later (missing id/secret, malformed override URLs).
import type { ICredentialDataDecryptedObject } from 'n8n-workflow';
import { XERO_API_BASE_URL, XERO_TOKEN_URL, type XeroConnection } from '../transport';

export class CredentialError extends Error {
	constructor(
		readonly field: string,
		message: string,
	) {
		super(message);
		this.name = 'CredentialError';
	}
}

function text(data: ICredentialDataDecryptedObject, field: string): string {
	const v = data[field];
	return typeof v === 'string' ? v.trim() : v === undefined || v === null ? '' : String(v).trim();
}

function url(data: ICredentialDataDecryptedObject, field: string, label: string): string {
	const value = text(data, field);
	if (!value) throw new CredentialError(field, `${label} is required when Endpoints is "Custom URLs"`);
	let parsed: URL;
	try {
		parsed = new URL(value);
	} catch {
		throw new CredentialError(field, `${label} "${value}" is not a valid URL`);
	}
	if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new CredentialError(field, `${label} must be an http(s) URL`);
	return value.replace(/\/+$/, '');
}

export function connectionFromCredentials(data: ICredentialDataDecryptedObject | undefined): XeroConnection {
	if (!data) throw new CredentialError('clientId', 'No Xero credential data');
	const clientId = text(data, 'clientId');
	const clientSecret = text(data, 'clientSecret');
	if (!clientId) throw new CredentialError('clientId', 'Client ID is required');
	if (!clientSecret) throw new CredentialError('clientSecret', 'Client Secret is required');
	const custom = text(data, 'endpoints') === 'custom';
	return {
		clientId,
		clientSecret,
		tokenUrl: custom ? url(data, 'tokenUrl', 'Token URL') : XERO_TOKEN_URL,
		apiBaseUrl: custom ? url(data, 'apiBaseUrl', 'API Base URL') : XERO_API_BASE_URL,
	};
}
