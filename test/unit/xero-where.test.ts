import { compileWhere, QueryParseError } from '../../sandbox/xero/where';
import { contactNumberTerm, whereString } from '../../nodes/XeroBilling/transport/where';

const schema = {
	typeName: 'Invoice',
	fields: ['Reference', 'Status', 'Total', 'Date', 'SentToContact', 'Contact.ContactID', 'Contact.ContactNumber', 'Contact.Name', 'InvoiceNumber'],
};

const rows = [
	{ Reference: 'bk-1', Status: 'AUTHORISED', Total: 120, Date: Date.UTC(2024, 0, 31), SentToContact: false, InvoiceNumber: 'INV-0001', Contact: { ContactID: 'a3c1e5f0-0000-4000-8000-000000000001', ContactNumber: 'C-1', Name: 'Acme Ltd' } },
	{ Reference: 'bk-2', Status: 'PAID', Total: 50.5, Date: Date.UTC(2024, 1, 15), SentToContact: true, InvoiceNumber: 'INV-0002', Contact: { ContactID: 'a3c1e5f0-0000-4000-8000-000000000002', ContactNumber: 'C-2', Name: "O'Brien & Sons" } },
	{ Reference: 'bk-3', Status: 'DRAFT', Total: 0, Date: Date.UTC(2024, 2, 1), SentToContact: false, InvoiceNumber: 'INV-0003', Contact: { ContactID: 'a3c1e5f0-0000-4000-8000-000000000001', ContactNumber: null, Name: 'Acme Ltd' } },
];

const pick = (where: string) => rows.filter(compileWhere(where, schema)).map((r) => r.Reference);

describe('Xero where filter', () => {
	it('matches Reference alternatives joined by OR, as the billing node sends them', () => {
		expect(pick('Reference=="bk-1" OR Reference=="bk-3" OR Reference=="nope"')).toEqual(['bk-1', 'bk-3']);
		expect(pick('Reference=="bk-1" || Reference=="bk-2"')).toEqual(['bk-1', 'bk-2']);
	});

	it('combines AND, OR, NOT and parentheses with the usual precedence', () => {
		expect(pick('Status=="AUTHORISED" OR Status=="PAID" AND Total > 100')).toEqual(['bk-1']);
		expect(pick('(Status=="AUTHORISED" OR Status=="PAID") AND Total < 100')).toEqual(['bk-2']);
		expect(pick('NOT (Status=="DRAFT")')).toEqual(['bk-1', 'bk-2']);
		expect(pick('!SentToContact && Status != "DRAFT"')).toEqual(['bk-1']);
	});

	it('compares nested contact fields, guid() literals and ContactNumber', () => {
		expect(pick('Contact.ContactID==guid("A3C1E5F0-0000-4000-8000-000000000001")')).toEqual(['bk-1', 'bk-3']);
		expect(pick('Contact.ContactID=Guid("a3c1e5f0-0000-4000-8000-000000000002")')).toEqual(['bk-2']);
		expect(pick('Contact.ContactNumber=="C-2"')).toEqual(['bk-2']);
		expect(pick('Contact.ContactNumber==null')).toEqual(['bk-3']);
	});

	it('ignores case in string equality and supports string methods', () => {
		expect(pick('Status=="authorised"')).toEqual(['bk-1']);
		expect(pick('Contact.Name.Contains("acme")')).toEqual(['bk-1', 'bk-3']);
		expect(pick('InvoiceNumber.StartsWith("INV-000") AND InvoiceNumber.EndsWith("2")')).toEqual(['bk-2']);
		expect(pick('Contact.Name.ToLower()=="o\'brien & sons"')).toEqual(['bk-2']);
		expect(pick('Contact.Name=="O\'Brien & Sons"')).toEqual(['bk-2']);
	});

	it('compares dates with DateTime(y,m,d) and numbers with decimals', () => {
		expect(pick('Date >= DateTime(2024, 02, 01)')).toEqual(['bk-2', 'bk-3']);
		expect(pick('Date < DateTime(2024,2,15) AND Date > DateTime(2024,1,1)')).toEqual(['bk-1']);
		expect(pick('Total == 50.5')).toEqual(['bk-2']);
		expect(pick('Total <> 0')).toEqual(['bk-1', 'bk-2']);
	});

	it('reads string literals as Xero does: a doubled quote is one quote, a backslash is a plain character', () => {
		const s = { typeName: 'Contact', fields: ['Name'] };
		expect(compileWhere('Name=="a""b"', s)({ Name: 'a"b' })).toBe(true);
		expect(compileWhere('Name=="a\\b"', s)({ Name: 'a\\b' })).toBe(true);
		expect(compileWhere('Name=="a\\"', s)({ Name: 'a\\' })).toBe(true);
		// Xero answers a backslash-escaped quote with "Syntax error" (XeroAPI/Xero-Java#347): the
		// literal ends at the quote after the backslash.
		expect(() => compileWhere('Name=="Say \\"hi\\""', s)).toThrow(/Syntax error/);
		// Single quotes make a character literal, as in Xero's QueryParseException.
		expect(() => compileWhere("Name=='ab'", s)).toThrow('Character literal must contain exactly one character');
	});

	it('round-trips values with backslashes, quotes and commas quoted by the transport: each finds itself and nothing else', () => {
		const s = { typeName: 'Contact', fields: ['ContactNumber'] };
		const values = ['A\\B"C,', 'AB"C,', 'A\\\\B"C,', '\\', '"', '\\"', '"\\', 'A\\', 'A', 'a,b', '""', '\\\\'];
		const records = values.map((v) => ({ ContactNumber: v }));
		for (const v of values) {
			const found = records.filter(compileWhere(`ContactNumber==${whereString(v)}`, s)).map((r) => r.ContactNumber);
			expect({ v, found }).toEqual({ v, found: [v] });
		}
		// All ORed in one clause, as the contact lookup sends them: a trailing backslash breaks nothing.
		const all = records.filter(compileWhere(values.map(contactNumberTerm).join(' OR '), s));
		expect(all.map((r) => r.ContactNumber)).toEqual(values);
	});

	it('rejects unknown fields the way Xero words it', () => {
		expect(() => compileWhere('Foo=="x"', schema)).toThrow("No property or field 'Foo' exists in type 'Invoice'");
		expect(() => compileWhere('Contact.Bar=="x"', schema)).toThrow("No property or field 'Bar' exists in type 'Contact'");
	});

	it('rejects malformed expressions with a position', () => {
		expect(() => compileWhere('Reference=="x', schema)).toThrow(QueryParseError);
		expect(() => compileWhere('Reference=="x" OR', schema)).toThrow(/Expression expected at position 17/);
		expect(() => compileWhere('(Reference=="x"', schema)).toThrow(/'\)' expected/);
		expect(() => compileWhere('Reference=="x" Status=="y"', schema)).toThrow(/operator expected/);
		expect(() => compileWhere('Contact.ContactID==guid("nope")', schema)).toThrow(/not a valid Guid/);
		expect(() => compileWhere('Reference.Frobnicate()', schema)).toThrow(/No applicable method/);
	});
});
