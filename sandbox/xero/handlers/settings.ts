// GET /Organisation, /Accounts, /TaxRates and /Currencies: the organisation's settings, read-only.
import { accountsJson, currenciesJson, organisationJson, taxRatesJson } from '../wire/organisation';
import type { Reply } from '../reply';
import { listReply, type ApiContext } from './context';

export const getOrganisation = (ctx: ApiContext): Reply => listReply(ctx, 'Organisations', [organisationJson(ctx.org)]);
export const getAccounts = (ctx: ApiContext): Reply => listReply(ctx, 'Accounts', accountsJson(ctx.org));
export const getTaxRates = (ctx: ApiContext): Reply => listReply(ctx, 'TaxRates', taxRatesJson(ctx.org));
export const getCurrencies = (ctx: ApiContext): Reply => listReply(ctx, 'Currencies', currenciesJson(ctx.org));
