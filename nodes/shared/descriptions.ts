// Builders for the parameters every node description repeats, so a node's description files say
// only what is particular to it. The description head stays a literal in each <Node>.node.ts,
// where n8n's lint rules (n8n-node lint, the community-package scanner) can read it. The builders
// produce plain INodeProperties: what the editor and the generated workflows see is exactly what
// a hand-written literal would give.
import { updateDisplayOptions, type IDisplayOptions, type INodeProperties, type INodePropertyOptions } from 'n8n-workflow';

/** The Resource property: which kind of record the node works on. */
export function resourceProperty(options: INodePropertyOptions[], defaultValue: string): INodeProperties {
	return { displayName: 'Resource', name: 'resource', type: 'options', noDataExpression: true, options, default: defaultValue };
}

/** The Operation property, shown only for `resource` (null for a node without resources). */
export function operationProperty(resource: string | null, options: INodePropertyOptions[], defaultValue: string): INodeProperties {
	const operation: INodeProperties = { displayName: 'Operation', name: 'operation', type: 'options', noDataExpression: true, options, default: defaultValue };
	return resource === null ? operation : { ...operation, displayOptions: { show: { resource: [resource] } } };
}

/**
 * Shows `properties` only for `operation` (of `resource`; null for a node without resources),
 * keeping the conditions they already carry. The one way operations place their parameters.
 */
export function forOperation(resource: string | null, operation: string, properties: INodeProperties[]): INodeProperties[] {
	const show: IDisplayOptions['show'] = resource === null ? { operation: [operation] } : { resource: [resource], operation: [operation] };
	return updateDisplayOptions({ show }, properties);
}

/** A collection of optional settings: by default the "Options" collection every operation ends with. */
export function optionsCollection(
	options: INodeProperties[],
	{ displayName = 'Options', name = 'options', placeholder = 'Add Option', description }: { displayName?: string; name?: string; placeholder?: string; description?: string } = {},
): INodeProperties {
	return { displayName, name, type: 'collection', placeholder, default: {}, ...(description === undefined ? {} : { description }), options };
}

/** A dropdown parameter (type options); `extra` adds e.g. displayOptions on other parameters. */
export function choiceProperty(
	displayName: string,
	name: string,
	defaultValue: string,
	options: INodePropertyOptions[],
	description?: string,
	extra: Partial<INodeProperties> = {},
): INodeProperties {
	return { displayName, name, type: 'options', default: defaultValue, options, ...(description === undefined ? {} : { description }), ...extra };
}

/** The two ways of writing an amount, for "how is the amount given" dropdowns. */
export const AMOUNT_UNIT_OPTIONS: INodePropertyOptions[] = [
	{ name: 'Major Units (e.g. 10.50)', value: 'major' },
	{ name: 'Minor Units (e.g. 1050)', value: 'minor' },
];

/** The one Amount Unit parameter of the package: `amountUnit`, minor units by default everywhere. */
export function amountUnitProperty(description: string): INodeProperties {
	return choiceProperty('Amount Unit', 'amountUnit', 'minor', AMOUNT_UNIT_OPTIONS, description);
}
