// A route table for the sandbox servers: each server lists its routes (method, path pattern,
// handler module function) instead of one long if/else over URLs.

export interface Route<TContext> {
	method: string;
	/** Path pattern with `{name}` placeholders, e.g. `/api.xro/2.0/Invoices/{id}`. Case-sensitive. */
	pattern: string;
	handle: (ctx: TContext, params: Record<string, string>) => Promise<void> | void;
}

interface CompiledRoute<TContext> {
	route: Route<TContext>;
	regex: RegExp;
	names: string[];
}

export class RouteTable<TContext> {
	private readonly compiled: CompiledRoute<TContext>[];

	constructor(routes: Route<TContext>[], options: { caseInsensitive?: boolean } = {}) {
		this.compiled = routes.map((route) => {
			const names: string[] = [];
			const source = route.pattern
				.split(/(\{[A-Za-z]+\})/)
				.map((part) => {
					const m = /^\{([A-Za-z]+)\}$/.exec(part);
					if (!m) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
					names.push(m[1]);
					return '([^/]+)';
				})
				.join('');
			return { route, names, regex: new RegExp(`^${source}/?$`, options.caseInsensitive ? 'i' : '') };
		});
	}

	/** The route for a request and its decoded path parameters; `allowed` lists methods when only the method is wrong. */
	match(method: string, path: string): { route: Route<TContext>; params: Record<string, string> } | { route: undefined; allowed: string[] } {
		const allowed: string[] = [];
		for (const { route, regex, names } of this.compiled) {
			const m = regex.exec(path);
			if (!m) continue;
			if (route.method !== method.toUpperCase()) {
				allowed.push(route.method);
				continue;
			}
			const params: Record<string, string> = {};
			names.forEach((name, i) => (params[name] = decodeURIComponent(m[i + 1])));
			return { route, params };
		}
		return { route: undefined, allowed };
	}
}
