import * as sendInvoice from './sendInvoice.operation';
import * as sendPaymentNotice from './sendPaymentNotice.operation';

export { sendInvoice, sendPaymentNotice };
