// `npm run sandbox`: every stand-in service on fixed local ports, seeded, until Ctrl-C.
import { startBillingSandbox } from './index';

const arg = (name: string, fallback: number) => {
	const i = process.argv.indexOf(`--${name}`);
	return i > 0 ? Number(process.argv[i + 1]) : fallback;
};

async function main() {
	const basePort = arg('base-port', 4610);
	const sandbox = await startBillingSandbox({
		seed: arg('seed', 42),
		clients: arg('clients', 10),
		ports: { xero: basePort, secureTrading: basePort + 1, crm: basePort + 2, smtp: basePort + 3, smtpHttp: basePort + 4 },
	}).catch((error: NodeJS.ErrnoException) => {
		if (error.code === 'EADDRINUSE') {
			console.error(`A sandbox port in ${basePort}-${basePort + 4} is taken. Choose others with --base-port N.`);
			process.exit(2);
		}
		throw error;
	});
	const lines = [
		`Billing sandbox running (period ${sandbox.period.from} → ${sandbox.period.to})`,
		`  Xero API        ${sandbox.xero.apiBaseUrl}   token ${sandbox.xero.tokenUrl}`,
		`                  client id ${sandbox.xero.clientId}`,
		`  Secure Trading  ${sandbox.secureTrading.url}/json/   user ${sandbox.secureTrading.username}  site ${sandbox.secureTrading.siteReference}`,
		`  CRM             ${sandbox.crm.url}/api/billable-leads?from=…&to=…`,
		`  SMTP sink       smtp://${sandbox.smtp.host}:${sandbox.smtp.port}   mailbox ${sandbox.smtp.httpUrl}/messages`,
		`  Clients         ${sandbox.scenario.map((c) => `${c.clientId}:${c.expected}`).join(' ')}`,
		'Ctrl-C stops it.',
	];
	console.log(lines.join('\n'));
	const stop = async () => {
		await sandbox.close();
		process.exit(0);
	};
	process.on('SIGINT', stop);
	process.on('SIGTERM', stop);
}

main().catch((error) => {
	console.error(error instanceof Error ? error.message : error);
	process.exit(1);
});
