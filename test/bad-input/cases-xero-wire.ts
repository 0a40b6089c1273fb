// Bad-input cases of one area (see cases.ts for what reject and accept mean).
import type { BadInputCase } from './case-kit';

export const XERO_WIRE_CASES: BadInputCase[] = [
];
