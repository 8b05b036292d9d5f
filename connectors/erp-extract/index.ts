/** The ERP extract connector (files mode): see docs/connectors/erp.md. */
export { ERP_CONNECTOR_NAME, ERP_CONNECTOR_VERSION, type ErpState, erpConnector } from './erp-connector';
