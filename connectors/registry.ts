/**
 * Which connector collects which system. Loaded lazily so a run only pays for the SDKs it uses
 * (jsforce and the Graph client are large).
 */
import type { AnyConnector } from '../core/connector';
import type { System } from '../core/model';

const loaders: Record<System, () => Promise<AnyConnector>> = {
  erp: async () => (await import('./erp-extract')).erpConnector,
  aws: async () => (await import('./aws-iam')).awsIamConnector,
  // The connector module, not the index: the index also exports the live credentials (@azure/identity).
  entra: async () => (await import('./entra-id/connector')).entraConnector,
  salesforce: async () => (await import('./salesforce')).salesforceConnector,
  sap: async () => (await import('./sap')).sapConnector,
  hr: async () => (await import('./hr')).hrConnector,
};

/**
 * @example
 * const connector = await connectorFor('erp');
 */
export function connectorFor(system: System): Promise<AnyConnector> {
  return loaders[system]();
}
