/** A default email template. `{{name}}` placeholders are filled per item; values are HTML-escaped in `html`. */
export interface EmailTemplate {
	subject: string;
	html: string;
	text: string;
}

export type EmailKind = 'invoice' | 'paid' | 'declined' | 'noCardOnFile' | 'finalNotice';
