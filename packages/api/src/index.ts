// The HTTP API's shapes, as TypeBox schemas (JSON Schema the proxy's routes validate with) and the
// types they stand for (what the proxy's handlers and the dashboard use). The dashboard imports
// types only: `import type` keeps TypeBox out of its bundle.
export * from "./schema-kit.js";
export * from "./wire-format.js";
export * from "./common.js";
export * from "./session.js";
export * from "./traces.js";
export * from "./stored-responses.js";
export * from "./config.js";
export * from "./manage.js";
export * from "./public.js";
export * from "./usage.js";
export * from "./templates.js";
export * from "./deployments.js";
export * from "./manage-yallmproxy.js";
