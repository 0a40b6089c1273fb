// Local stand-in for the Xero Accounting API and its identity server (custom connections), faithful
// enough that the real xero-node SDK talks to it unchanged: OAuth2 client-credentials tokens,
// PascalCase JSON envelopes, batch semantics with summarizeErrors, Idempotency-Key replay, Xero's
// rate limits and headers, invoice PDFs, organisation details, branding themes (logos served) and
// online invoice links (pages served), plus latency and fault injection for tests and benchmarks.
//
// Layout: model/ (organisation, contacts, invoices, payments, online invoices: state and rules),
// wire/ (Xero's JSON), handlers/ (one module per resource, public.ts for the pages outside the API:
// theme logos and online invoices), routes.ts (the route table), pipeline.ts (auth, limits, faults,
// idempotency, latency, call records), server.ts (startXeroSandbox). This file is the public entry
// point.
export { startXeroSandbox } from './server';
export { XERO_MAX_QUERY_LENGTH } from './state';
export type { CallFilter, CallRecord, OrgInspector, XeroBookkeeper, XeroConnectionOptions, XeroSandbox, XeroSandboxOptions } from './types';
export { Organisation } from './model/organisation';
export type { BrandingThemeConfig, OrganisationAddress, OrganisationConfig, OrganisationPhone } from './model/organisation';
export { DEFAULT_ACCOUNTS, DEFAULT_TAX_RATES } from './model/accounts';
export type { AccountDef, TaxRateDef } from './model/accounts';
export { XERO_LIMITS } from './limits';
export type { RateLimitConfig, LimitProblem } from './limits';
export type { FaultConfig, ScriptedFault, StormOptions, FaultPhase } from './faults';
