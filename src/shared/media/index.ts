// Removable media (外部記録媒体): identity, the registered-media ledger, its evaluation, CSV
// import and the media event payloads. Pure: shared by the agent, the collector and the console.
export * from './identity.js';
export * from './ledger.js';
export * from './evaluate.js';
export * from './events.js';
export * from './ledger-csv.js';
export * from './text.js';
