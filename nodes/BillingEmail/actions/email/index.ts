import * as sendAlert from './sendAlert.operation';
import * as sendInvoice from './sendInvoice.operation';
import * as sendPaymentNotice from './sendPaymentNotice.operation';
import * as sendRunReport from './sendRunReport.operation';

export { sendAlert, sendInvoice, sendPaymentNotice, sendRunReport };
