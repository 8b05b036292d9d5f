/** The HR connector (files mode): see docs/connectors/hr.md. */
export {
  HR_CONNECTOR_NAME,
  HR_CONNECTOR_VERSION,
  type HrState,
  hrConnector,
  statusTable,
} from './hr-connector';
