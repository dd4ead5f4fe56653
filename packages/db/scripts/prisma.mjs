// Runs the Prisma CLI for both schemas without letting it download engines: the WASM query compiler
// and schema engine bundled with the CLI do the work; the engine paths only need to exist.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const placeholder = fileURLToPath(import.meta.url);
const env = {
  ...process.env,
  PRISMA_SCHEMA_ENGINE_BINARY: placeholder,
  PRISMA_QUERY_ENGINE_LIBRARY: placeholder,
  PRISMA_HIDE_UPDATE_MESSAGE: "1",
  CHECKPOINT_DISABLE: "1",
  DATABASE_URL: process.env.DATABASE_URL || "file:./placeholder.db",
};
const prisma = join(root, "node_modules/.bin/prisma");
const bin = (await import("node:fs")).existsSync(prisma) ? prisma : join(root, "../../node_modules/.bin/prisma");
const [command = "generate", ...rest] = process.argv.slice(2);
for (const provider of ["sqlite", "postgresql"]) {
  const args = command === "generate" ? ["generate", "--schema", join(root, "prisma", provider, "schema.prisma"), ...rest] : [command, ...rest];
  const r = spawnSync(bin, args, { cwd: root, env, stdio: ["ignore", "pipe", "inherit"] });
  if (r.status !== 0) {
    process.stdout.write(r.stdout);
    process.exit(r.status ?? 1);
  }
  if (command !== "generate") break;
}
