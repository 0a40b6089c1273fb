// Loading n8n-core configures the process-wide axios it shares with xero-node in this repository's
// node_modules (one deduplicated copy): a qs paramsSerializer (RFC 3986: a space is sent as `%20`,
// `:` `$` `,` encoded), a 300 s default timeout, no proxy, and a request interceptor setting n8n's
// agents. In n8n the package is installed in its own folder (~/.n8n/nodes) with its own axios, so
// its Xero calls never see that set-up; here they would (longer `where` queries than the Xero
// transport counts, and Xero's ~2,048-character limit answers 404). So this module, imported
// before n8n-core, notes axios's defaults, and restorePackageAxios() puts them back once n8n-core
// has loaded. Only what the package's own HTTP clients see changes; the engine does not use axios
// for a node that makes its own requests.
import { createRequire } from 'module';

interface AxiosGlobal {
	defaults: Record<string, unknown> & { headers: Record<string, unknown> };
	interceptors: { request: { handlers: unknown[]; eject(id: number): void } };
}

/** The axios copy xero-node loads (the package's own HTTP client). */
const axios = createRequire(require.resolve('xero-node'))('axios') as AxiosGlobal;

const pristine: Record<string, unknown> = { ...axios.defaults, headers: { ...axios.defaults.headers } };
const pristineInterceptors = axios.interceptors.request.handlers.length;
if (typeof pristine.paramsSerializer === 'function' || pristineInterceptors > 0) {
	throw new Error('test/helpers/package-axios.ts must be imported before n8n-core, which changes axios defaults');
}

export function restorePackageAxios(): void {
	for (const key of Object.keys(axios.defaults)) if (!(key in pristine)) delete axios.defaults[key];
	Object.assign(axios.defaults, pristine, { headers: { ...(pristine.headers as Record<string, unknown>) } });
	for (let id = pristineInterceptors; id < axios.interceptors.request.handlers.length; id++) axios.interceptors.request.eject(id);
}
