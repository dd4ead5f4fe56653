// Browsing stored responses for the operator: lists with filters and search, and the responses that
// continue from one. Reading and writing one response by id is the ResponseStore's.

import type { Database } from "./database.js";
import { type PageCursor, beforeCursor } from "./trace-store.js";

export interface StoredResponseFilter {
  model?: string;
  ownerKeyId?: string;
  from?: Date;
  to?: Date;
  /** Text the input or output items contain. */
  text?: string;
  after?: PageCursor;
}

export interface StoredResponseListRow {
  id: string;
  model: string;
  ownerKeyId: string | null;
  status: string;
  createdAt: Date;
  expiresAt: Date;
  previousResponseId: string | null;
  /** As stored: JSON text. */
  outputItems: string;
}

export class StoredResponseList {
  constructor(private readonly db: Database) {}

  /** Up to `limit` responses, newest first. */
  list(filter: StoredResponseFilter, limit: number): Promise<StoredResponseListRow[]> {
    const conditions: Array<Record<string, unknown>> = [beforeCursor(filter.after, "createdAt")];
    if (filter.model) conditions.push({ model: filter.model });
    if (filter.ownerKeyId) conditions.push({ ownerKeyId: filter.ownerKeyId });
    if (filter.from) conditions.push({ createdAt: { gte: filter.from } });
    if (filter.to) conditions.push({ createdAt: { lte: filter.to } });
    if (filter.text) conditions.push({ OR: [{ inputItems: { contains: filter.text } }, { outputItems: { contains: filter.text } }] });
    return this.db.prisma.storedResponse.findMany({
      where: { AND: conditions },
      orderBy: [{ createdAt: "desc" }, { id: "desc" }],
      take: limit,
      select: { id: true, model: true, ownerKeyId: true, status: true, createdAt: true, previousResponseId: true, outputItems: true, expiresAt: true },
    });
  }

  /** Ids of the responses whose previous_response_id is `id`, oldest first. */
  async childrenOf(id: string): Promise<string[]> {
    const rows = await this.db.prisma.storedResponse.findMany({ where: { previousResponseId: id }, select: { id: true }, orderBy: { createdAt: "asc" } });
    return rows.map((r) => r.id);
  }
}
