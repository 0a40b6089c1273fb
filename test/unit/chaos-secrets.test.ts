// The chaos run's secrets scan must find real card numbers and stored secrets, and must not
// cry wolf at random digits that happen to pass Luhn (hex ids, MIME boundaries).
import { basicAuthSecret, findPans, scan } from '../chaos/secrets';

describe('chaos secrets scan', () => {
	it('finds Luhn-valid card numbers standing on their own', () => {
		expect(findPans('{"pan":"4111111111111111"}')).toEqual(['4111111111111111']);
		expect(findPans('card 5555555555554444 expires')).toEqual(['5555555555554444']);
		expect(findPans('amex=378282246310005;')).toEqual(['378282246310005']);
	});

	it('ignores numbers that fail Luhn or sit inside a longer number', () => {
		expect(findPans('4111111111111112')).toEqual([]);
		expect(findPans('94111111111111111')).toEqual([]);
	});

	it('ignores Luhn-valid runs inside hex ids and nodemailer MIME boundaries', () => {
		expect(findPans('id 2d724f9e4111111111111111e5fa')).toEqual([]);
		expect(findPans('Content-Type: multipart/mixed; boundary="----_NmP-4111111111111111-Part_1"')).toEqual([]);
	});

	it('reports each stored secret and card number with where it was and the hit masked', () => {
		const report = scan(
			[
				{ where: 'a.log', text: 'token=s3cr3t-value-123 and card 4111111111111111' },
				{ where: 'b.log', text: 'nothing here' },
			],
			[{ name: 'Xero client secret', value: 's3cr3t-value-123' }],
		);
		expect(report.sources).toBe(2);
		expect(report.findings.map((f) => [f.where, f.what])).toEqual([
			['a.log', 'Xero client secret'],
			['a.log', 'card number'],
		]);
		expect(report.findings.every((f) => !f.context.includes('s3cr3t-value-123') && !f.context.includes('4111111111111111'))).toBe(true);
	});

	it('finds a password echoed only inside Basic credentials, which a search for the password misses', () => {
		const echo = `POST /connect/token HTTP/1.1\r\nauthorization: Basic ${Buffer.from('CLIENT-ID:s3cr3t-value-123').toString('base64')}\r\n`;
		const password = { name: 'Xero client secret', value: 's3cr3t-value-123' };
		expect(scan([{ where: 'echo', text: echo }], [password]).findings).toEqual([]);
		const report = scan([{ where: 'echo', text: echo }], [password, basicAuthSecret('Xero client id and secret', 'CLIENT-ID', 's3cr3t-value-123')]);
		expect(report.findings.map((f) => f.what)).toEqual(['Xero client id and secret (Basic user:password)']);
	});
});
