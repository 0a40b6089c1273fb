// The invoice PDF the package renders itself (Get PDF, PDF Source "Rendered Here").
export { renderInvoicePdf, type InvoiceOrganisation } from './render';
export { DEFAULT_LAYOUT, LAYOUT_KEYS, parseOrganisationSettings, resolveLayout, type InvoiceLayout, type OrganisationSettings, type PaperSize } from './layout';
export { logoProblem } from './image';
export { unicodeText, winAnsiText } from './text';
