// The proxy as a library: build the app from a config (tests, embedding) or start it with main.ts.
export { buildApp, type BuildOptions } from "./app.js";
export { ConfigError, loadConfig, parseConfigText, type ProxyConfig, type LoadedConfig } from "./config/load-config.js";
export { Balancer } from "./balance/balancer.js";
