// `npm run demo`: the sandbox (Xero, Secure Trading, CRM, SMTP) seeded with paying, declining,
// card-less and malformed clients; a real n8n with this package installed from its packed
// tarball, the sandbox credentials and every shipped workflow imported and active; one billing
// run; a summary read from the sandbox's own records. n8n stays up for you to look at the
// executions, unless --exit is given (then everything stops and the exit code says whether the
// run ended as expected).
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import { OWNER } from '../support/n8n';
import { packAndInstall } from '../support/package';
import { N8N_BIN, REPO_ROOT } from '../support/paths';
import { AMQP_URL, ClientLedger, isSettled, startPipeline, STATUS_PAGE_LOGIN } from '../support/pipeline';

const args = process.argv.slice(2);
const flag = (name: string) => args.includes(`--${name}`);
const option = (name: string, fallback: string) => {
	const i = args.indexOf(`--${name}`);
	return i >= 0 && args[i + 1] ? args[i + 1] : fallback;
};

const fail = (message: string): never => {
	console.error(`\n✖ ${message}`);
	process.exit(1);
};

async function reachable(url: string): Promise<boolean> {
	const { hostname, port } = new URL(url);
	return await new Promise((resolve) => {
		const socket = net.connect({ host: hostname, port: Number(port || 5672) });
		socket.setTimeout(2000);
		socket.once('connect', () => (socket.destroy(), resolve(true)));
		socket.once('timeout', () => (socket.destroy(), resolve(false)));
		socket.once('error', () => resolve(false));
	});
}

async function portFree(port: number): Promise<boolean> {
	return await new Promise((resolve) => {
		const server = net.createServer().once('error', () => resolve(false));
		server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
	});
}

async function waitForMail<T>(find: () => T | undefined, timeoutMs: number): Promise<T | undefined> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const found = find();
		if (found || Date.now() > deadline) return found;
		await new Promise((r) => setTimeout(r, 500));
	}
}

function table(rows: Array<[string, string | number]>): string {
	const w = Math.max(...rows.map(([k]) => k.length));
	return rows.map(([k, v]) => `  ${k.padEnd(w)}  ${v}`).join('\n');
}

async function main() {
	const exitWhenDone = flag('exit');
	const clients = Number(option('clients', '10'));
	const dunningDelays = option('dunning', '10s, 20s');
	const n8nPort = Number(option('port', process.env.N8N_PORT ?? '5678'));
	const maxCharges = dunningDelays.split(',').filter((d) => d.trim()).length + 1;

	if (!(await reachable(AMQP_URL))) {
		fail(`RabbitMQ is not answering at ${new URL(AMQP_URL).host}. Start it (\`rabbitmq-server -detached\`) or point BILLING_AMQP_URL at yours.`);
	}
	if (!(await portFree(n8nPort))) fail(`Port ${n8nPort} is taken; choose another with --port N (or N8N_PORT=N).`);
	if (!fs.existsSync(N8N_BIN)) {
		console.log('Installing the real n8n 2.40.7 once into ~/.cache/n8n-billing-pipeline (about 5 minutes)…');
		execFileSync('bash', [path.join(REPO_ROOT, 'scripts', 'install-n8n.sh')], { stdio: 'inherit' });
	}
	console.log('Building and packing the package, installing it into n8n the way users do…');
	execFileSync('npm', ['run', '--silent', 'build'], { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
	const { nodesTemplate } = packAndInstall();

	console.log(`Starting the sandbox and n8n (${clients} clients, dunning every ${dunningDelays})…`);
	const run = await startPipeline({
		nodesTemplate,
		port: n8nPort,
		sandbox: { clients, seed: 42, hostile: ['invalidEmail'], retriedDecline: true },
		settings: { exchange: 'billing-demo', dunningDelays },
	});
	const stop = async () => {
		await run.stop().catch(() => undefined);
	};
	process.on('SIGINT', () => void stop().then(() => process.exit(130)));
	process.on('SIGTERM', () => void stop().then(() => process.exit(143)));

	console.log(`Billing run for ${run.sandbox.period.from.slice(0, 10)} → ${run.sandbox.period.to.slice(0, 10)} requested; waiting for every client to settle…`);
	await run.requestRun();
	let ledger: ClientLedger[];
	let settled = true;
	try {
		ledger = await run.waitFor('the billing run', (l) => l.every((c) => isSettled(c, maxCharges)), 240_000);
	} catch {
		settled = false;
		ledger = run.ledger();
	}

	const count = (f: (c: ClientLedger) => number) => ledger.reduce((n, c) => n + f(c), 0);
	const depths = await run.queueDepths();
	const parked = Object.entries(depths).filter(([q]) => q.endsWith('.parked')).reduce((n, [, d]) => n + d, 0);
	const invoices = count((c) => c.invoices);
	const xeroCalls = run.sandbox.xero.callCount();
	console.log('\nBilling run summary (from the sandbox’s own records)');
	console.log(
		table([
			['invoices created in Xero', invoices],
			['invoice emails sent', count((c) => c.emails.invoice ?? 0)],
			['payments taken', count((c) => c.charges)],
			['payments recorded in Xero', count((c) => c.payments)],
			['declined charges', count((c) => c.declinedAuths)],
			['decline notices', count((c) => (c.emails.declined ?? 0) + (c.emails.finalNotice ?? 0))],
			['no-card notices', count((c) => c.emails.noCardOnFile ?? 0)],
			['paid notices', count((c) => c.emails.paid ?? 0)],
			['parked items', parked],
			['Xero calls used', `${xeroCalls} (${(xeroCalls / Math.max(invoices, 1)).toFixed(2)} per invoice, PDFs included)`],
		]),
	);
	console.log('\nPer client, with the emails it received (by subject)');
	const mails = run.sandbox.smtp.messages();
	for (const c of ledger) {
		console.log(`  ${c.clientId.padEnd(16)} ${c.expected.padEnd(16)} ${isSettled(c, maxCharges) ? 'as expected' : 'NOT as expected'}`);
		for (const m of mails.filter((x) => String(x.messageId).includes(`.k-${c.billingKey}@`))) console.log(`      ✉ ${m.subject}`);
	}

	// The run report goes to finance once every key is final (workflow 7).
	const report = await waitForMail(() => run.sandbox.smtp.messages().find((m) => String(m.messageId).startsWith('<billing.runReport.')), 90_000);
	const statusPage = `${run.n8n.url}/webhook/billing/status`;
	console.log('\nRun report and status page');
	console.log(
		table([
			['run report', report ? `emailed to ${report.to.map((a) => a.address).join(', ')}: “${report.subject}”` : 'not sent yet (it goes out when every key is final, or at its deadline)'],
			...(report ? ([['  read it', `${run.sandbox.smtp.httpUrl}/messages/${report.id}`], ['  attached', report.attachments.map((a) => `${a.filename} (${a.size} bytes)`).join(', ')]] as Array<[string, string]>) : []),
			['status page', `${statusPage}  (login ${STATUS_PAGE_LOGIN.user} / ${STATUS_PAGE_LOGIN.password})`],
		]),
	);
	if (exitWhenDone && !report) settled = false;

	if (exitWhenDone) {
		await stop();
		if (!settled) fail('The billing run did not end as expected (see the table above).');
		console.log('\n✔ The billing run ended as expected.');
		process.exit(0);
	}
	console.log(
		[
			'',
			`n8n is running with n8n-nodes-billing-pipeline: ${run.n8n.url}`,
			`  login      ${OWNER.email} / ${OWNER.password}`,
			`  mailbox    ${run.sandbox.smtp.httpUrl}/messages`,
			`  status     ${run.n8n.url}/webhook/billing/status  (login ${STATUS_PAGE_LOGIN.user} / ${STATUS_PAGE_LOGIN.password})`,
			`  n8n log    ${path.join(run.n8n.userFolder, 'n8n.log')}`,
			'Open Executions in n8n to follow each stage. Ctrl-C stops n8n and the sandbox.',
		].join('\n'),
	);
}

main().catch((error) => fail(error instanceof Error ? error.message : String(error)));
