// The proxy's persistence: Prisma over SQLite or PostgreSQL, migrations, and the stores.
export { openDatabase, isPostgresUrl, maskUrl, type Database, type DbClient } from "./database.js";
export { migrateSqlite, migratePostgres, readMigrations, MigrationError, type Provider } from "./migrate.js";
export { DEFAULT_MAX_MEMORY_BYTES, MemoryResponseStore, type ResponseStore, type StoredResponse } from "./response-store.js";
export { DatabaseResponseStore, type DatabaseResponseStoreOptions } from "./database-response-store.js";
export { TraceWriter, type TraceRow } from "./trace-writer.js";
export { TraceStore, type TraceFilter, type TraceSummaryRecord, type PageCursor } from "./trace-store.js";
export { ConfigVersionStore, type ConfigVersionRecord } from "./config-version-store.js";
export { StoredResponseList, type StoredResponseFilter, type StoredResponseListRow } from "./stored-response-list.js";
/** A stored trace row as Prisma reads it (both providers' clients share the shape). */
export type { Trace as TraceRecord } from "./generated/sqlite/client.js";
export { UsageStore, type StatementWriter, type UsageDelta, type UsageDimension, type UsageQuery, type UsageTotals } from "./usage-store.js";
