// Preloaded into the proxy by the bench's soak (`node --expose-gc --import`): on an IPC `memory`
// message it collects garbage fully and answers with the process's memory use.
process.on("message", (msg) => {
  if (msg?.type !== "memory") return;
  globalThis.gc?.();
  process.send?.({ type: "memory", ...process.memoryUsage() });
});
process.channel?.unref();
