import { decodeMessagesRequest, decodeResponsesRequest, encodeChatRequest, jsonDeeperThan, scanJson } from "@yallmproxy/translate";
import { agentBody } from "../../bench/agent-body.mjs";
import { opaqueTextAt, parseSkeleton, restoredBytes } from "./src/pipeline/skeleton-intake.js";
function minTime(f: () => unknown, n: number): number { for (let i = 0; i < 20; i++) f(); let best = Infinity; for (let i = 0; i < n; i++) { const s = performance.now(); f(); best = Math.min(best, performance.now() - s); } return best; }
const decode = (format: string, body: unknown) => (format === "messages" ? decodeMessagesRequest(body) : decodeResponsesRequest(body as Record<string, unknown>)).value;
const thresholds = (process.env.TH ?? "256").split(",").map(Number);
for (const format of ["messages", "responses"] as const) for (const size of [100 * 1024, 1 << 20]) {
  const raw = Buffer.from(JSON.stringify(agentBody(format, size)));
  const n = size > 200000 ? 150 : 800;
  const before = minTime(() => { const s = raw.toString("utf8"); jsonDeeperThan(s, 128); const b = JSON.parse(s); return Buffer.from(JSON.stringify(encodeChatRequest(decode(format, b), { model: "up", supportsReasoning: true }).value)); }, n);
  const parts = thresholds.map((th) => {
    const after = minTime(() => { const scan = scanJson(raw, { maxDepth: 128, longStringBytes: th, longStringAt: opaqueTextAt(format) }) as any; const built = parseSkeleton(raw, scan.longStrings)!; return restoredBytes(built.skeleton, encodeChatRequest(decode(format, built.parsed), { model: "up", supportsReasoning: true }).value); }, n);
    return `after(≥${th} B) ${after.toFixed(3)} ms`;
  });
  console.log(`${format} ${size === 1 << 20 ? "1 MB" : "100 KB"}: before ${before.toFixed(3)} ms, ${parts.join(", ")}`);
}
