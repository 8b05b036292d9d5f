export { loadNodeSqlite } from './node-sqlite';
export type { SqliteFindingsOptions } from './sqlite-findings-repository';
export { findingsDbFile, SqliteFindingsRepository } from './sqlite-findings-repository';
