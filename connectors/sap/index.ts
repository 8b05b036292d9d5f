/** The SAP connector (files mode): see docs/connectors/sap.md. */
export { SAP_CONNECTOR_NAME, SAP_CONNECTOR_VERSION, type SapState, sapConnector } from './sap-connector';
