// Opens the proxy's database — a SQLite file (the default) or PostgreSQL (for several replicas) —
// applies pending migrations, and hands back a Prisma client over the matching driver adapter.

import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import BetterSqlite3 from "better-sqlite3";
import type pg from "pg";
import { PrismaClient as SqlitePrismaClient } from "./generated/sqlite/client.js";
import { type Provider, migratePostgres, migrateSqlite } from "./migrate.js";

/** Both generated clients have the same model API; the SQLite one's type stands for both. */
export type DbClient = InstanceType<typeof SqlitePrismaClient>;

export interface Database {
  provider: Provider;
  prisma: DbClient;
  /** The URL with any password masked, for logs. */
  displayUrl: string;
  /** The URL itself (for a worker's own connection). */
  url: string;
  /** Migrations applied by this open. */
  applied: string[];
  /** PostgreSQL only: a pool for LISTEN/NOTIFY and bulk writes. */
  pgPool?: pg.Pool;
  /** Resolves when the database answers a trivial query. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

async function ping(prisma: DbClient): Promise<void> {
  await prisma.$queryRawUnsafe("SELECT 1");
}

export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//i.test(url);
}

export function maskUrl(url: string): string {
  return url.replace(/\/\/([^:/@]+):([^@]+)@/, "//$1:***@");
}

/** `file:relative/path.db` (relative to the working directory), an absolute path, or a postgres URL. */
export async function openDatabase(url: string): Promise<Database> {
  if (isPostgresUrl(url)) return openPostgres(url);
  return openSqlite(url);
}

function openSqlite(url: string): Database {
  const path = resolve(url.replace(/^file:/, ""));
  mkdirSync(dirname(path), { recursive: true });
  const raw = new BetterSqlite3(path, { timeout: 5000 });
  // WAL lets readers run beside the writer and survives a killed process.
  raw.pragma("journal_mode = WAL");
  let applied: string[];
  try {
    applied = migrateSqlite(raw);
  } finally {
    raw.close();
  }
  const prisma = new SqlitePrismaClient({ adapter: new PrismaBetterSQLite3({ url: `file:${path}`, timeout: 5000 }) });
  return {
    provider: "sqlite",
    prisma,
    displayUrl: `file:${path}`,
    url: `file:${path}`,
    applied,
    ping: () => ping(prisma),
    close: () => prisma.$disconnect(),
  };
}

async function openPostgres(url: string): Promise<Database> {
  // The PostgreSQL driver and client are loaded only for a PostgreSQL database.
  const [{ default: pg }, { PrismaPg }, { PrismaClient: PostgresPrismaClient }] = await Promise.all([
    import("pg"),
    import("@prisma/adapter-pg"),
    import("./generated/postgresql/client.js"),
  ]);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  let applied: string[];
  try {
    applied = await migratePostgres(client);
  } finally {
    await client.end();
  }
  const prisma = new PostgresPrismaClient({ adapter: new PrismaPg({ connectionString: url }) }) as unknown as DbClient;
  const pgPool = new pg.Pool({ connectionString: url, max: 4 });
  // A pooled connection cut while idle (a server restart, a terminated backend) is replaced by the
  // next query; left unhandled, its error would end the process.
  pgPool.on("error", () => {});
  return {
    provider: "postgresql",
    prisma,
    displayUrl: maskUrl(url),
    url,
    applied,
    pgPool,
    ping: () => ping(prisma),
    close: async () => {
      await prisma.$disconnect();
      await pgPool.end();
    },
  };
}
