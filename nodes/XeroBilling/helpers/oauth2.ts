// n8n's side of an OAuth2 connection: reading the Xero OAuth2 credential and asking n8n to refresh
// its token, for the execution (router) and for the Organization list (loadOptions) alike.
import type { ICredentialDataDecryptedObject, IDataObject, IExecuteFunctions, ILoadOptionsFunctions } from 'n8n-workflow';
import { XERO_OAUTH2_CREDENTIAL, type N8nOAuth2 } from '../transport';

export function n8nOAuth2(fns: IExecuteFunctions | ILoadOptionsFunctions): N8nOAuth2 {
	return {
		read: async () => await fns.getCredentials<ICredentialDataDecryptedObject>(XERO_OAUTH2_CREDENTIAL),
		refresh: async () => {
			// n8n refreshes, stores the rotated refresh token and serialises refreshes per credential.
			if (typeof fns.helpers.refreshOAuth2Token !== 'function') {
				throw new Error('this n8n version offers nodes no OAuth2 token refresh (helpers.refreshOAuth2Token); update n8n or use a Xero custom connection');
			}
			return (await fns.helpers.refreshOAuth2Token.call(fns, XERO_OAUTH2_CREDENTIAL)) as IDataObject;
		},
	};
}
