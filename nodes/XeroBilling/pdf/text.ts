// Text as the PDF's fonts can show it. PDF's standard Helvetica encodes WinAnsi only: pdfkit writes
// any other character as a code the font has no glyph for, so it silently vanishes. Each such
// character becomes its letters without accents (NFKD, combining marks dropped: ź → z, ﬁ → fi)
// or, failing that, a visible '?' (Łódź → ?ódz). A font file (layout fontFile) shows them all.

/** Unicode code points WinAnsi holds outside Latin-1 (pdfkit's WIN_ANSI_MAP). */
const WIN_ANSI_EXTRA = new Set([
	0x0152, 0x0153, 0x0160, 0x0161, 0x0178, 0x017d, 0x017e, 0x0192, 0x02c6, 0x02dc, 0x2013, 0x2014, 0x2018, 0x2019, 0x201a, 0x201c, 0x201d, 0x201e,
	0x2020, 0x2021, 0x2022, 0x2026, 0x2030, 0x2039, 0x203a, 0x20ac, 0x2122,
]);

const COMBINING_MARK = /\p{M}/u;
// Line breaks and other control characters: one line of text is drawn at a time.
const CONTROL = /\p{Cc}|[\u2028\u2029]/u;

function inWinAnsi(cp: number): boolean {
	return (cp >= 0x20 && cp <= 0x7e) || (cp >= 0xa0 && cp <= 0xff) || WIN_ANSI_EXTRA.has(cp);
}

/** One line of text for Helvetica: WinAnsi kept, accents stripped, the rest a visible '?'. */
export function winAnsiText(text: string): string {
	let out = '';
	for (const ch of text.normalize('NFC')) {
		const cp = ch.codePointAt(0)!;
		if (inWinAnsi(cp)) out += ch;
		else if (CONTROL.test(ch)) out += ' ';
		else if (COMBINING_MARK.test(ch)) continue;
		else {
			const plain = [...ch.normalize('NFKD')].filter((c) => !COMBINING_MARK.test(c));
			out += plain.length && plain.every((c) => inWinAnsi(c.codePointAt(0)!)) ? plain.join('') : '?';
		}
	}
	return out;
}

/** One line of text for an embedded font: every character kept but control characters. */
export function unicodeText(text: string): string {
	return [...text.normalize('NFC')].map((ch) => (CONTROL.test(ch) ? ' ' : ch)).join('');
}
