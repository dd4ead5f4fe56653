// Every version of the config text the proxy ran, with who made it; the newest is the highest number.

import type { Database } from "./database.js";
import type { ConfigVersion } from "./generated/sqlite/client.js";

export type ConfigVersionRecord = ConfigVersion;

export class ConfigVersionStore {
  constructor(private readonly db: Database) {}

  newest(): Promise<ConfigVersion | null> {
    return this.db.prisma.configVersion.findFirst({ orderBy: { version: "desc" } });
  }

  add(version: { author: string; yaml: string; summary: string }): Promise<ConfigVersion> {
    return this.db.prisma.configVersion.create({ data: version });
  }

  /** The newest `limit` versions, newest first. */
  list(limit: number): Promise<ConfigVersion[]> {
    return this.db.prisma.configVersion.findMany({ orderBy: { version: "desc" }, take: limit });
  }

  get(version: number): Promise<ConfigVersion | null> {
    return this.db.prisma.configVersion.findUnique({ where: { version } });
  }

  /** The version just before `version`, if any. */
  previous(version: number): Promise<ConfigVersion | null> {
    return this.db.prisma.configVersion.findFirst({ where: { version: { lt: version } }, orderBy: { version: "desc" } });
  }
}
