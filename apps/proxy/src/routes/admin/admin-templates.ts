// Chat templates for response modules, as yaLLMproxy's /admin/templates: the `.jinja` files in the
// `jinja_templates` folder beside the config, a new one stored there, and what a template says
// about the model's tags. Reads stay inside that folder; a `template_path` the config names is
// read at config load, so a stored template takes effect with the next config apply.

import { mkdirSync, readdirSync, realpathSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join, relative, resolve, sep } from "node:path";
import {
  MAX_TEMPLATE_BYTES,
  TemplateInspectQuery,
  TemplateInspection,
  TemplateList,
  TemplateSaved,
  TemplateUpload,
  type TemplateTagsInfo,
} from "@yallmproxy/api";
import { inspectTemplate, responseModulesOf } from "@yallmproxy/translate";
import type { FastifyInstance } from "fastify";
import { readTemplateFile } from "../../config/response-modules.js";
import { Errors } from "../../errors.js";
import { typed } from "../../http/schema.js";
import { requireAdmin } from "./admin-auth.js";

const EXTENSIONS = [".jinja", ".j2", ".jinja2"];

function folderOf(configPath: string): string {
  return join(dirname(configPath), "jinja_templates");
}

/** The path a config's `template_path` can use for a file of the folder (from the config's parent, as `configs/jinja_templates/x.jinja`). */
function configPathOf(configPath: string, file: string): string {
  return relative(dirname(dirname(configPath)), file)
    .split(sep)
    .join("/");
}

function safeName(name: string): string {
  const cleaned = basename(name)
    .replace(/[^\w.-]/g, "_")
    .replace(/^\.+/, "_");
  return EXTENSIONS.some((e) => cleaned.endsWith(e)) ? cleaned : `${cleaned}.jinja`;
}

function tagsInfo(text: string, thinkTag?: string): TemplateTagsInfo {
  const t = inspectTemplate(text, thinkTag);
  return { ...t, thinkTag: t.thinkTag ?? null, toolFormat: t.toolFormat ?? null, toolTag: t.toolTag ?? null };
}

/** A `template_path` as the API is given it, resolved inside the folder, or why not. */
function inFolder(configPath: string, given: string): string | undefined {
  const folder = folderOf(configPath);
  let real: string;
  try {
    real = realpathSync(folder);
  } catch {
    return undefined;
  }
  for (const candidate of [resolve(dirname(dirname(configPath)), given), resolve(dirname(configPath), given), resolve(folder, given)]) {
    let file: string;
    try {
      file = realpathSync(candidate);
    } catch {
      continue;
    }
    if (file.startsWith(real + sep) && statSync(file).isFile()) return file;
  }
  return undefined;
}

export async function adminTemplateRoutes(scope: FastifyInstance): Promise<void> {
  const app = typed(scope);
  const runtime = scope.runtime;
  const onRequest = requireAdmin(() => runtime.config.adminPassword);
  const configPath = () => runtime.config.source.path;

  app.get("/admin/templates", { onRequest, schema: { response: { 200: TemplateList } } }, async () => {
    const folder = folderOf(configPath());
    let names: string[];
    try {
      names = readdirSync(folder).sort();
    } catch {
      return { data: [] };
    }
    const data = names
      .filter((n) => EXTENSIONS.some((e) => n.endsWith(e)))
      .flatMap((name) => {
        const file = join(folder, name);
        const st = statSync(file, { throwIfNoEntry: false });
        return st?.isFile() ? [{ name, path: configPathOf(configPath(), file), bytes: st.size }] : [];
      });
    return { data };
  });

  app.post("/admin/templates", { onRequest, schema: { body: TemplateUpload, response: { 201: TemplateSaved } } }, async (request, reply) => {
    const { text } = request.body;
    const bytes = Buffer.byteLength(text, "utf8");
    if (bytes > MAX_TEMPLATE_BYTES) throw Errors.adminInvalidValue(`The template is ${bytes} bytes; the limit is ${MAX_TEMPLATE_BYTES}.`, "text");
    if (text.includes("\0")) throw Errors.adminInvalidValue("The template holds a NUL character: it is not a text template.", "text");
    const folder = folderOf(configPath());
    const name = safeName(request.body.name);
    mkdirSync(folder, { recursive: true });
    const file = join(folder, name);
    writeFileSync(file, text);
    request.log.info({ template: name, bytes }, "chat template stored");
    return reply.code(201).send({ name, path: configPathOf(configPath(), file), bytes, tags: tagsInfo(text) });
  });

  app.get("/admin/templates/inspect", { onRequest, schema: { querystring: TemplateInspectQuery, response: { 200: TemplateInspection } } }, async (request) => {
    const { template_path: given, think_tag: thinkTag } = request.query;
    const file = inFolder(configPath(), given);
    if (!file) throw Errors.adminNotFound(`No template '${given}' in ${configPathOf(configPath(), folderOf(configPath()))}.`);
    const got = readTemplateFile(file, []);
    if ("error" in got) throw Errors.adminInvalidValue(`The template cannot be read: ${got.error}.`, "template_path");
    const read = () => got;
    const setup = responseModulesOf(
      {
        response: ["parse_tags", "swap_reasoning_content"],
        parse_tags: { template_path: file },
        swap_reasoning_content: { template_path: file, ...(thinkTag ? { think_tag: thinkTag } : {}) },
      },
      true,
      read,
    );
    return {
      templatePath: given,
      tags: tagsInfo(got.text, thinkTag),
      parseTags: { ...setup?.effective.parse_tags },
      swapReasoningContent: { ...setup?.effective.swap_reasoning_content },
    };
  });
}
