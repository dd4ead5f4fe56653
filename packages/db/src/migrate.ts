// Applies the SQL migrations in Prisma's folder layout at start-up, recording them in a
// `_prisma_migrations`-compatible table. Prisma's own `migrate deploy` needs a native engine for
// PostgreSQL, which this project cannot download. On PostgreSQL an advisory lock makes replicas
// that start together apply each migration once.

import { createHash, randomUUID } from "node:crypto";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type BetterSqlite3 from "better-sqlite3";
import type pg from "pg";

export type Provider = "sqlite" | "postgresql";

export interface Migration {
  name: string;
  sql: string;
  checksum: string;
}

const MIGRATIONS_LOCK_ID = 7_979_001;

function migrationsDir(provider: Provider): string {
  // src/ and dist/ both sit next to prisma/.
  return join(dirname(fileURLToPath(import.meta.url)), "..", "prisma", provider, "migrations");
}

export function readMigrations(provider: Provider, dir = migrationsDir(provider)): Migration[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(dir, d.name, "migration.sql")))
    .map((d) => d.name)
    .sort()
    .map((name) => {
      const sql = readFileSync(join(dir, name, "migration.sql"), "utf8");
      return { name, sql, checksum: createHash("sha256").update(sql).digest("hex") };
    });
}

export class MigrationError extends Error {}

function checkChecksum(applied: { migration_name: string; checksum: string }, m: Migration): void {
  if (applied.checksum !== m.checksum) {
    throw new MigrationError(`migration ${m.name} was changed after it was applied (checksum mismatch)`);
  }
}

export function migrateSqlite(db: BetterSqlite3.Database, migrations = readMigrations("sqlite")): string[] {
  db.exec(`CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id" TEXT PRIMARY KEY NOT NULL,
    "checksum" TEXT NOT NULL,
    "finished_at" DATETIME,
    "migration_name" TEXT NOT NULL,
    "logs" TEXT,
    "rolled_back_at" DATETIME,
    "started_at" DATETIME NOT NULL DEFAULT current_timestamp,
    "applied_steps_count" INTEGER UNSIGNED NOT NULL DEFAULT 0
  )`);
  const appliedRows = db
    .prepare(`SELECT migration_name, checksum FROM "_prisma_migrations" WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`)
    .all() as Array<{ migration_name: string; checksum: string }>;
  const applied = new Map(appliedRows.map((r) => [r.migration_name, r]));
  const done: string[] = [];
  for (const m of migrations) {
    const prior = applied.get(m.name);
    if (prior) {
      checkChecksum(prior, m);
      continue;
    }
    const apply = db.transaction(() => {
      db.exec(m.sql);
      db.prepare(
        `INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, started_at, applied_steps_count) VALUES (?, ?, current_timestamp, ?, current_timestamp, 1)`,
      ).run(randomUUID(), m.checksum, m.name);
    });
    apply();
    done.push(m.name);
  }
  return done;
}

export async function migratePostgres(client: pg.ClientBase, migrations = readMigrations("postgresql")): Promise<string[]> {
  await client.query("SELECT pg_advisory_lock($1)", [MIGRATIONS_LOCK_ID]);
  try {
    await client.query(`CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
      "id" VARCHAR(36) PRIMARY KEY NOT NULL,
      "checksum" VARCHAR(64) NOT NULL,
      "finished_at" TIMESTAMPTZ,
      "migration_name" VARCHAR(255) NOT NULL,
      "logs" TEXT,
      "rolled_back_at" TIMESTAMPTZ,
      "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
      "applied_steps_count" INTEGER NOT NULL DEFAULT 0
    )`);
    const { rows } = await client.query<{ migration_name: string; checksum: string }>(
      `SELECT migration_name, checksum FROM "_prisma_migrations" WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`,
    );
    const applied = new Map(rows.map((r) => [r.migration_name, r]));
    const done: string[] = [];
    for (const m of migrations) {
      const prior = applied.get(m.name);
      if (prior) {
        checkChecksum(prior, m);
        continue;
      }
      await client.query("BEGIN");
      try {
        await client.query(m.sql);
        await client.query(
          `INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, started_at, applied_steps_count) VALUES ($1, $2, now(), $3, now(), 1)`,
          [randomUUID(), m.checksum, m.name],
        );
        await client.query("COMMIT");
      } catch (err) {
        await client.query("ROLLBACK");
        throw new MigrationError(`migration ${m.name} failed: ${(err as Error).message}`);
      }
      done.push(m.name);
    }
    return done;
  } finally {
    await client.query("SELECT pg_advisory_unlock($1)", [MIGRATIONS_LOCK_ID]);
  }
}
