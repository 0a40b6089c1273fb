// The node kit: what every node of the package uses. See docs/CONVENTIONS.md.
export * from './billingKey';
export * from './concurrency';
export * from './currency';
export * from './descriptions';
export * from './errors';
export * from './failure';
export * from './itemFields';
export * from './journal';
export * from './operation';
export * from './parameters';
export * from './redact';
export * from './router';
