// Reads the `billingRabbitMqApi` credential of the running node into broker settings.
import { type ICredentialDataDecryptedObject, type IExecuteFunctions, type ITriggerFunctions, NodeOperationError } from 'n8n-workflow';
import { type BrokerSettings, settingsFromCredentials, SettingsError } from '../transport';

export const CREDENTIAL_TYPE = 'billingRabbitMqApi';

export async function readSettings(this: IExecuteFunctions | ITriggerFunctions): Promise<BrokerSettings> {
	const data = await this.getCredentials<ICredentialDataDecryptedObject>(CREDENTIAL_TYPE);
	try {
		return settingsFromCredentials(data);
	} catch (error) {
		if (error instanceof SettingsError) {
			throw new NodeOperationError(this.getNode(), error.message, { description: `Fix the credential field "${error.field}".` });
		}
		throw error;
	}
}
