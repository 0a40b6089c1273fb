// The one place the decrypted credential becomes the transport's connection settings, refusing
// what would only fail later (missing id/secret, malformed override URLs) with a FieldError that
// names the credential field. Used by the router and by the credential test.
import type { ICredentialDataDecryptedObject } from 'n8n-workflow';
import { FieldError } from '../../shared/errors';
import { XERO_API_BASE_URL, XERO_TOKEN_URL, type XeroConnection } from './types';

function refuse(field: string, message: string): FieldError {
	return new FieldError(field, `Xero credential: ${message}`);
}

function text(data: ICredentialDataDecryptedObject, field: string): string {
	const v = data[field];
	return typeof v === 'string' ? v.trim() : v === undefined || v === null ? '' : String(v).trim();
}

function url(data: ICredentialDataDecryptedObject, field: string, label: string): string {
	const value = text(data, field);
	if (!value) throw refuse(field, `${label} is required when Endpoints is "Custom URLs"`);
	let parsed: URL;
	try {
		parsed = new URL(value);
	} catch {
		throw refuse(field, `${label} "${value}" is not a valid URL`);
	}
	if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw refuse(field, `${label} must be an http(s) URL`);
	return value.replace(/\/+$/, '');
}

export function connectionFromCredentials(data: ICredentialDataDecryptedObject | undefined): XeroConnection {
	if (!data) throw refuse('clientId', 'no credential data');
	const clientId = text(data, 'clientId');
	const clientSecret = text(data, 'clientSecret');
	if (!clientId) throw refuse('clientId', 'Client ID is empty');
	if (!clientSecret) throw refuse('clientSecret', 'Client Secret is empty');
	const custom = text(data, 'endpoints') === 'custom';
	return {
		clientId,
		clientSecret,
		tokenUrl: custom ? url(data, 'tokenUrl', 'Token URL') : XERO_TOKEN_URL,
		apiBaseUrl: custom ? url(data, 'apiBaseUrl', 'API Base URL') : XERO_API_BASE_URL,
	};
}
