// PostgreSQL for tests: a fresh database per call on 127.0.0.1:5432. With CI=true a server that
// cannot be reached is an error; elsewhere the caller skips its tests and the reason is printed.

import { randomBytes } from "node:crypto";
import pg from "pg";

export const POSTGRES_ADMIN_URL = process.env.TEST_POSTGRES_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";

export async function postgresAvailable(): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query("SELECT 1");
    return undefined;
  } catch (err) {
    const reason = `PostgreSQL at ${POSTGRES_ADMIN_URL} is not reachable (${(err as Error).message})`;
    if (process.env.CI === "true") throw new Error(`${reason}; CI requires it`, { cause: err });
    process.stdout.write(`skipping PostgreSQL tests: ${reason}\n`);
    return reason;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Creates an empty database and returns its URL and a function that drops it. */
export async function createTestDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `yallmp_test_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await c.end();
    },
  };
}
