// A small interpreter for the `where` filter of the Xero Accounting API. Xero evaluates it with
// .NET Dynamic LINQ; we support the part integrations use: comparisons (== = != <> < <= > >=),
// AND/OR/NOT (and && || !), parentheses, dotted paths (Contact.ContactID), string methods
// (Contains, StartsWith, EndsWith, ToLower, ToUpper), and literals: "text", numbers, true/false,
// null, guid("…"), DateTime(y,m,d[,h,m,s]). String equality ignores case, like Xero's SQL backend.
// String literals are read as Xero reads them: `"a""b"` is a"b, and `\` has no special meaning.

export class QueryParseError extends Error {}

type Token =
	| { kind: 'str'; value: string; pos: number }
	| { kind: 'num'; value: number; pos: number }
	| { kind: 'ident'; value: string; pos: number }
	| { kind: 'op'; value: string; pos: number }
	| { kind: 'end'; pos: number };

const OPS = ['==', '!=', '<>', '>=', '<=', '&&', '||', '=', '<', '>', '!', '(', ')', ',', '.'];

function tokenize(src: string): Token[] {
	const tokens: Token[] = [];
	let i = 0;
	while (i < src.length) {
		const c = src[i];
		if (/\s/.test(c)) {
			i++;
			continue;
		}
		if (c === '"' || c === "'") {
			// As Xero's parser (Microsoft's Dynamic LINQ, see docs/xero.md): a literal runs to the next
			// quote, a doubled quote stands for one quote, and a backslash is an ordinary character.
			const quote = c;
			const start = i;
			let value = '';
			i++;
			for (;;) {
				if (i >= src.length) throw new QueryParseError(`Unterminated string literal at position ${start}`);
				const ch = src[i];
				if (ch === quote && src[i + 1] === quote) {
					value += quote;
					i += 2;
					continue;
				}
				if (ch === quote) {
					i++;
					break;
				}
				value += ch;
				i++;
			}
			// Single quotes make a character literal there (Contact.Name=='x' compares a char).
			if (quote === "'" && value.length !== 1) throw new QueryParseError('Character literal must contain exactly one character');
			tokens.push({ kind: 'str', value, pos: start });
			continue;
		}
		if (/[0-9]/.test(c) || (c === '-' && /[0-9]/.test(src[i + 1] ?? ''))) {
			const m = /^-?[0-9]+(\.[0-9]+)?[mMdD]?/.exec(src.slice(i))!;
			tokens.push({ kind: 'num', value: Number(m[0].replace(/[mMdD]$/, '')), pos: i });
			i += m[0].length;
			continue;
		}
		if (/[A-Za-z_]/.test(c)) {
			const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i))!;
			tokens.push({ kind: 'ident', value: m[0], pos: i });
			i += m[0].length;
			continue;
		}
		const op = OPS.find((o) => src.startsWith(o, i));
		if (!op) throw new QueryParseError(`Syntax error '${c}' at position ${i}`);
		tokens.push({ kind: 'op', value: op, pos: i });
		i += op.length;
	}
	tokens.push({ kind: 'end', pos: src.length });
	return tokens;
}

/** What an expression evaluates to. Dates are epoch milliseconds. */
type Value = string | number | boolean | null | undefined;

type Node =
	| { t: 'lit'; value: Value; isDate?: boolean }
	| { t: 'path'; parts: string[]; pos: number }
	| { t: 'call'; target: Node; method: string; args: Node[]; pos: number }
	| { t: 'not'; e: Node }
	| { t: 'bin'; op: string; l: Node; r: Node };

class Parser {
	private i = 0;
	constructor(private readonly tokens: Token[]) {}

	private peek(): Token {
		return this.tokens[this.i];
	}
	private next(): Token {
		return this.tokens[this.i++];
	}
	private isOp(value: string): boolean {
		const t = this.peek();
		return t.kind === 'op' && t.value === value;
	}
	private isWord(word: string): boolean {
		const t = this.peek();
		return t.kind === 'ident' && t.value.toLowerCase() === word;
	}
	private expect(value: string): void {
		const t = this.next();
		if (t.kind !== 'op' || t.value !== value) throw new QueryParseError(`'${value}' expected at position ${t.pos}`);
	}

	parse(): Node {
		const e = this.or();
		const t = this.peek();
		if (t.kind !== 'end') throw new QueryParseError(`Syntax error: operator expected at position ${t.pos}`);
		return e;
	}
	private or(): Node {
		let l = this.and();
		while (this.isOp('||') || this.isWord('or')) {
			this.next();
			l = { t: 'bin', op: 'or', l, r: this.and() };
		}
		return l;
	}
	private and(): Node {
		let l = this.unary();
		while (this.isOp('&&') || this.isWord('and')) {
			this.next();
			l = { t: 'bin', op: 'and', l, r: this.unary() };
		}
		return l;
	}
	private unary(): Node {
		if (this.isOp('!') || this.isWord('not')) {
			this.next();
			return { t: 'not', e: this.unary() };
		}
		return this.comparison();
	}
	private comparison(): Node {
		const l = this.operand();
		const t = this.peek();
		if (t.kind === 'op' && ['==', '=', '!=', '<>', '<', '<=', '>', '>='].includes(t.value)) {
			this.next();
			const op = t.value === '=' ? '==' : t.value === '<>' ? '!=' : t.value;
			return { t: 'bin', op, l, r: this.operand() };
		}
		return l;
	}
	private operand(): Node {
		let node = this.primary();
		while (this.isOp('.')) {
			this.next();
			const name = this.next();
			if (name.kind !== 'ident') throw new QueryParseError(`Identifier expected at position ${name.pos}`);
			if (this.isOp('(')) {
				node = { t: 'call', target: node, method: name.value, args: this.args(), pos: name.pos };
			} else if (node.t === 'path') {
				node = { t: 'path', parts: [...node.parts, name.value], pos: node.pos };
			} else {
				throw new QueryParseError(`Member access on a value at position ${name.pos}`);
			}
		}
		return node;
	}
	private args(): Node[] {
		this.expect('(');
		const args: Node[] = [];
		if (!this.isOp(')')) {
			args.push(this.or());
			while (this.isOp(',')) {
				this.next();
				args.push(this.or());
			}
		}
		this.expect(')');
		return args;
	}
	private primary(): Node {
		const t = this.next();
		if (t.kind === 'op' && t.value === '(') {
			const e = this.or();
			this.expect(')');
			return e;
		}
		if (t.kind === 'str') return { t: 'lit', value: t.value };
		if (t.kind === 'num') return { t: 'lit', value: t.value };
		if (t.kind === 'ident') {
			const word = t.value.toLowerCase();
			if (word === 'true' || word === 'false') return { t: 'lit', value: word === 'true' };
			if (word === 'null') return { t: 'lit', value: null };
			if (word === 'guid' && this.isOp('(')) {
				const args = this.args();
				const a = args[0];
				if (args.length !== 1 || a.t !== 'lit' || typeof a.value !== 'string') {
					throw new QueryParseError(`guid() takes one string at position ${t.pos}`);
				}
				if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(a.value)) {
					throw new QueryParseError(`'${a.value}' is not a valid Guid`);
				}
				return { t: 'lit', value: a.value.toLowerCase() };
			}
			if (word === 'datetime' && this.isOp('(')) {
				const args = this.args().map((a) => (a.t === 'lit' ? a.value : undefined));
				if (args.length < 3 || args.length > 6 || !args.every((a) => typeof a === 'number')) {
					throw new QueryParseError(`DateTime() takes 3 to 6 numbers at position ${t.pos}`);
				}
				const [y, mo, d, h = 0, mi = 0, s = 0] = args as number[];
				const ms = Date.UTC(y, mo - 1, d, h, mi, s);
				if (Number.isNaN(ms)) throw new QueryParseError(`Invalid DateTime at position ${t.pos}`);
				return { t: 'lit', value: ms, isDate: true };
			}
			return { t: 'path', parts: [t.value], pos: t.pos };
		}
		throw new QueryParseError(`Expression expected at position ${t.pos}`);
	}
}

export interface WhereSchema {
	/** Type name used in error messages, e.g. "Invoice". */
	typeName: string;
	/** Field names the type has (dotted for nested), matched without regard to case. */
	fields: string[];
}

export type Predicate = (record: Record<string, unknown>) => boolean;

function lookup(record: Record<string, unknown>, parts: string[]): Value {
	let cur: unknown = record;
	for (const part of parts) {
		if (!cur || typeof cur !== 'object') return null;
		const obj = cur as Record<string, unknown>;
		const key = Object.keys(obj).find((k) => k.toLowerCase() === part.toLowerCase());
		cur = key === undefined ? null : obj[key];
	}
	return cur as Value;
}

function compare(op: string, a: Value, b: Value): boolean {
	if (op === '==' || op === '!=') {
		let eq: boolean;
		if (a === null || a === undefined || b === null || b === undefined) eq = (a ?? null) === (b ?? null);
		else if (typeof a === 'string' && typeof b === 'string') eq = a.toLowerCase() === b.toLowerCase();
		else eq = a === b;
		return op === '==' ? eq : !eq;
	}
	if (a === null || a === undefined || b === null || b === undefined) return false;
	const [x, y] = typeof a === 'string' && typeof b === 'string' ? [a.toLowerCase(), b.toLowerCase()] : [a, b];
	switch (op) {
		case '<':
			return x < y;
		case '<=':
			return x <= y;
		case '>':
			return x > y;
		default:
			return x >= y;
	}
}

/** Parses `where` once and returns a predicate; throws QueryParseError for bad syntax or unknown fields. */
export function compileWhere(where: string, schema: WhereSchema): Predicate {
	const ast = new Parser(tokenize(where)).parse();
	const known = new Set(schema.fields.map((f) => f.toLowerCase()));

	const check = (node: Node): void => {
		switch (node.t) {
			case 'path': {
				const name = node.parts.join('.');
				if (!known.has(name.toLowerCase())) {
					const owner = node.parts.length > 1 ? node.parts[node.parts.length - 2] : schema.typeName;
					throw new QueryParseError(`No property or field '${node.parts[node.parts.length - 1]}' exists in type '${owner}'`);
				}
				return;
			}
			case 'call':
				if (!['contains', 'startswith', 'endswith', 'tolower', 'toupper', 'equals'].includes(node.method.toLowerCase())) {
					throw new QueryParseError(`No applicable method '${node.method}' exists`);
				}
				check(node.target);
				node.args.forEach(check);
				return;
			case 'not':
				check(node.e);
				return;
			case 'bin':
				check(node.l);
				check(node.r);
				return;
			default:
				return;
		}
	};
	check(ast);

	const evaluate = (node: Node, rec: Record<string, unknown>): Value => {
		switch (node.t) {
			case 'lit':
				return node.value;
			case 'path':
				return lookup(rec, node.parts);
			case 'not':
				return !evaluate(node.e, rec);
			case 'call': {
				const target = evaluate(node.target, rec);
				const args = node.args.map((a) => evaluate(a, rec));
				if (target === null || target === undefined) return null;
				const s = String(target);
				const arg = String(args[0] ?? '').toLowerCase();
				switch (node.method.toLowerCase()) {
					case 'tolower':
						return s.toLowerCase();
					case 'toupper':
						return s.toUpperCase();
					case 'contains':
						return s.toLowerCase().includes(arg);
					case 'startswith':
						return s.toLowerCase().startsWith(arg);
					case 'endswith':
						return s.toLowerCase().endsWith(arg);
					default:
						return compare('==', target, args[0]);
				}
			}
			case 'bin': {
				if (node.op === 'and') return Boolean(evaluate(node.l, rec)) && Boolean(evaluate(node.r, rec));
				if (node.op === 'or') return Boolean(evaluate(node.l, rec)) || Boolean(evaluate(node.r, rec));
				return compare(node.op, evaluate(node.l, rec), evaluate(node.r, rec));
			}
		}
	};

	return (record) => Boolean(evaluate(ast, record));
}
