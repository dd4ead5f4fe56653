// Response modules for local models: tags in a model's text read as reasoning and tool calls,
// reasoning swapped into or out of the text, chat templates inspected for their tags.
export type { ResponseModule } from "./module.js";
export { DEFAULT_TOOL_BUFFER_LIMIT, type ModulesSetup, type TemplateReader, responseModulesOf, upstreamSection } from "./module-config.js";
export { applyResponseModules, withResponseModules } from "./response-modules.js";
export { type TemplateTags, inspectTemplate } from "./template-analysis.js";
