// The transport's public face: everything outside transport/ imports from here.
export * from './types';
export * from './errors';
export * from './where';
export * from './credentials';
export * from './oauth2';
export { XeroTransport, forgetXeroOrganisations } from './client';
export { OrgLimiter, type LimiterSnapshot } from './limiter';
export { organisationAddress } from './model';
export { downloadLogo, logoKind, LogoError, LOGO_MAX_BYTES, type LogoKind, type LogoRequest } from './logo';
