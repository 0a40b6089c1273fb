// HTTP Basic authentication of webservices users (the user is also the envelope's alias).

export interface SandboxUser {
	username: string;
	password: string;
	/** Site references this webservices user may use. */
	sites: string[];
}

/** The user an `Authorization: Basic ...` header names with the right password; else undefined. */
export function authenticate(users: readonly SandboxUser[], header: string | undefined): SandboxUser | undefined {
	const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
	if (!match) return undefined;
	const decoded = Buffer.from(match[1], 'base64').toString('utf8');
	const colon = decoded.indexOf(':');
	if (colon < 0) return undefined;
	const username = decoded.slice(0, colon);
	const password = decoded.slice(colon + 1);
	return users.find((u) => u.username === username && u.password === password);
}
