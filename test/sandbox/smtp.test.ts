import { createHash, randomBytes } from 'crypto';
import nodemailer from 'nodemailer';
import { startSmtpSink, type SmtpSink } from '../../sandbox/smtp';

const transportFor = (sink: SmtpSink, extra: Record<string, unknown> = {}) =>
	nodemailer.createTransport({ host: sink.host, port: sink.port, secure: false, ignoreTLS: true, ...extra } as any);

describe('SMTP sink', () => {
	let sink: SmtpSink;
	beforeAll(async () => {
		sink = await startSmtpSink();
	});
	afterAll(() => sink.close());
	beforeEach(() => sink.clear());

	it('receives real mail with HTML, text and an attachment, and exposes it in process and over HTTP', async () => {
		const pdf = Buffer.concat([Buffer.from('%PDF-1.4\n'), randomBytes(4096)]);
		const transport = transportFor(sink);
		const info = await transport.sendMail({
			from: 'Billing <billing@sender.example>',
			to: 'Zoë Client <zoe@client.example>',
			subject: 'Invoice INV-0042 — £12.50',
			messageId: '<inv-42@sender.example>',
			html: '<p>Hello <b>Zoë</b></p>',
			text: 'Hello Zoë',
			attachments: [{ filename: 'INV-0042.pdf', content: pdf, contentType: 'application/pdf' }],
		});
		transport.close();
		expect(info.accepted).toEqual(['zoe@client.example']);
		expect(info.response).toMatch(/^250 .*queued as 1/);

		const message = await sink.waitFor((m) => m.messageId === '<inv-42@sender.example>');
		expect(message.from).toEqual({ address: 'billing@sender.example', name: 'Billing' });
		expect(message.to).toEqual([{ address: 'zoe@client.example', name: 'Zoë Client' }]);
		expect(message.envelope).toEqual({ mailFrom: 'billing@sender.example', rcptTo: ['zoe@client.example'] });
		expect(message.subject).toBe('Invoice INV-0042 — £12.50');
		expect(message.html).toContain('<b>Zoë</b>');
		expect(message.text?.trim()).toBe('Hello Zoë');
		expect(message.attachments).toHaveLength(1);
		expect(message.attachments[0]).toMatchObject({
			filename: 'INV-0042.pdf',
			contentType: 'application/pdf',
			size: pdf.length,
			sha256: createHash('sha256').update(pdf).digest('hex'),
		});
		expect(message.attachments[0].content.equals(pdf)).toBe(true);
		expect(sink.byMessageId('inv-42@sender.example')?.id).toBe(message.id);
		expect(sink.byRecipient('ZOE@client.example')).toHaveLength(1);

		const list: any = await (await fetch(`${sink.httpUrl}/messages`)).json();
		expect(list.messages).toHaveLength(1);
		expect(list.messages[0].attachments[0].content).toBeUndefined();
		const one: any = await (await fetch(`${sink.httpUrl}/messages/${message.id}`)).json();
		expect(Buffer.from(one.attachments[0].content, 'base64').equals(pdf)).toBe(true);
		const raw = await (await fetch(`${sink.httpUrl}/messages/${message.id}/raw`)).text();
		expect(raw).toMatch(/^Message-ID: <inv-42@sender\.example>/im);
		expect((await fetch(`${sink.httpUrl}/messages/999`)).status).toBe(404);
		expect((await fetch(`${sink.httpUrl}/messages/%${message.id.charCodeAt(0).toString(16)}`)).status).toBe(200);
		for (const path of ['/messages/', `/messages/${message.id}/`, '/messages/%zz', '/elsewhere']) {
			expect((await fetch(`${sink.httpUrl}${path}`)).status).toBe(404);
		}
		expect((await fetch(`${sink.httpUrl}/messages`, { method: 'POST' })).status).toBe(404);
		await fetch(`${sink.httpUrl}/messages`, { method: 'DELETE' });
		expect(sink.messages()).toHaveLength(0);
	});

	it('counts duplicates by Message-ID', async () => {
		const transport = transportFor(sink, { pool: true, maxConnections: 2 });
		const mail = { from: 'a@sender.example', to: 'b@client.example', subject: 'x', text: 'x', messageId: '<same@sender.example>' };
		await transport.sendMail(mail);
		await transport.sendMail(mail);
		await transport.sendMail({ ...mail, messageId: '<other@sender.example>' });
		transport.close();
		expect(sink.countByMessageId('<same@sender.example>')).toBe(2);
		expect(sink.duplicates()).toEqual({ '<same@sender.example>': 2 });
		expect(sink.stats()).toMatchObject({ received: 3, refused: 0, duplicates: 1, connections: 1 });
		expect(sink.messages().map((m) => m.copy)).toEqual([1, 2, 1]);
	});

	it('refuses the next N messages temporarily with 451', async () => {
		sink.refuseNext(2);
		const transport = transportFor(sink);
		const send = (n: number) => transport.sendMail({ from: 'a@sender.example', to: 'b@client.example', subject: `n${n}`, text: 'x' });
		const errors: any[] = [];
		for (const n of [1, 2]) await send(n).catch((e) => errors.push(e));
		await send(3);
		transport.close();
		expect(errors).toHaveLength(2);
		expect(errors[0].responseCode).toBe(451);
		expect(errors[0].response).toMatch(/^451 /);
		expect(sink.messages().map((m) => m.subject)).toEqual(['n3']);
		expect(sink.stats().refused).toBe(2);
	});

	it('can refuse at RCPT TO with a custom code', async () => {
		sink.refuseNext(1, { stage: 'rcpt', code: 450, message: 'Mailbox busy' });
		const transport = transportFor(sink);
		const error: any = await transport
			.sendMail({ from: 'a@sender.example', to: 'b@client.example', subject: 's', text: 'x' })
			.catch((e) => e);
		transport.close();
		expect(error.responseCode).toBe(450);
		expect(error.response).toMatch(/Mailbox busy/);
	});

	it('times out waitFor with a clear message', async () => {
		await expect(sink.waitFor((m) => m.subject === 'never', 50)).rejects.toThrow(/timed out after 50 ms/);
	});
});

describe('SMTP sink fault injection by fraction', () => {
	async function run(seed: number): Promise<boolean[]> {
		const sink = await startSmtpSink({ seed, refuseFraction: 0.5 });
		// One pooled connection: messages arrive in order, without a new handshake each.
		const transport = transportFor(sink, { pool: true, maxConnections: 1 });
		const outcome: boolean[] = [];
		try {
			for (let i = 0; i < 20; i++) {
				outcome.push(
					await transport
						.sendMail({ from: 'a@sender.example', to: 'b@client.example', subject: `m${i}`, text: 'x' })
						.then(() => true, (e) => (e.responseCode === 451 ? false : Promise.reject(e))),
				);
			}
		} finally {
			transport.close();
			await sink.close();
		}
		return outcome;
	}

	it('is repeatable for a seed and refuses roughly the fraction asked', async () => {
		const a = await run(11);
		const b = await run(11);
		expect(a).toEqual(b);
		const refused = a.filter((ok) => !ok).length;
		expect(refused).toBeGreaterThan(3);
		expect(refused).toBeLessThan(17);
	});
});

describe('SMTP sink auth and TLS', () => {
	it('requires the configured AUTH user and password', async () => {
		const sink = await startSmtpSink({ auth: { user: 'billing', password: 's3cret' } });
		try {
			const noAuth = transportFor(sink);
			await expect(noAuth.sendMail({ from: 'a@sender.example', to: 'b@client.example', text: 'x' })).rejects.toMatchObject({ responseCode: 530 });
			noAuth.close();
			const wrong = transportFor(sink, { auth: { user: 'billing', pass: 'nope' } });
			await expect(wrong.verify()).rejects.toMatchObject({ code: 'EAUTH' });
			wrong.close();
			for (const method of ['PLAIN', 'LOGIN']) {
				const right = transportFor(sink, { auth: { user: 'billing', pass: 's3cret' }, authMethod: method });
				await right.sendMail({ from: 'a@sender.example', to: 'b@client.example', subject: method, text: 'x' });
				right.close();
			}
			expect(sink.messages().map((m) => [m.subject, m.authUser])).toEqual([
				['PLAIN', 'billing'],
				['LOGIN', 'billing'],
			]);
		} finally {
			await sink.close();
		}
	});

	it('accepts any login when auth is disabled', async () => {
		const sink = await startSmtpSink();
		try {
			const transport = transportFor(sink, { auth: { user: 'whoever', pass: 'whatever' } });
			await expect(transport.verify()).resolves.toBe(true);
			transport.close();
		} finally {
			await sink.close();
		}
	});

	it('offers STARTTLS and implicit TLS with its test certificate', async () => {
		for (const mode of ['starttls', 'implicit'] as const) {
			const sink = await startSmtpSink({ tls: mode });
			try {
				const strict = transportFor(sink, { secure: mode === 'implicit', ignoreTLS: false, requireTLS: mode === 'starttls' });
				await expect(strict.verify()).rejects.toThrow(/certificate/i);
				strict.close();
				const lax = transportFor(sink, {
					secure: mode === 'implicit',
					ignoreTLS: false,
					requireTLS: mode === 'starttls',
					tls: { rejectUnauthorized: false },
				});
				await lax.sendMail({ from: 'a@sender.example', to: 'b@client.example', subject: mode, text: 'x' });
				lax.close();
				expect(sink.messages()[0].subject).toBe(mode);
			} finally {
				await sink.close();
			}
		}
	});
});
