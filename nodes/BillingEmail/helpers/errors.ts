/** Bad input in one named field; the operation turns it into a NodeOperationError naming the item. */
export class FieldError extends Error {
	constructor(
		readonly field: string,
		message: string,
	) {
		super(message);
		this.name = 'FieldError';
	}
}
