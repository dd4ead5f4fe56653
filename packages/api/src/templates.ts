// Chat templates as the admin API lists, stores and inspects them (docs/admin-api.md, "Chat templates").

import { type Static, Type } from "@sinclair/typebox";
import { Nullable, OpenObject, StringEnum } from "./schema-kit.js";

/** Largest template the API stores (bytes of UTF-8), the same bound the config loader reads. */
export const MAX_TEMPLATE_BYTES = 1024 * 1024;

export const TemplateInfo = Type.Object({
  name: Type.String(),
  /** What a `template_path` in the config can say to name it. */
  path: Type.String(),
  bytes: Type.Integer(),
});
export type TemplateInfo = Static<typeof TemplateInfo>;

export const TemplateList = Type.Object({ data: Type.Array(TemplateInfo) });
export type TemplateList = Static<typeof TemplateList>;

/** `POST /admin/templates`: the file name (unsafe characters become `_`, `.jinja` added) and its text. */
export const TemplateUpload = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 200 }),
  text: Type.String({ maxLength: MAX_TEMPLATE_BYTES }),
});
export type TemplateUpload = Static<typeof TemplateUpload>;

export const TemplateInspectQuery = Type.Object({
  template_path: Type.String({ minLength: 1 }),
  /** Inspect the wrapping around this tag instead of the detected one. */
  think_tag: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
});

const Affix = Type.Object({ prefix: Type.String(), suffix: Type.String() });

/** What the template says about the tags the model writes. */
export const TemplateTagsInfo = Type.Object({
  thinkTag: Nullable(Type.String()),
  toolFormat: Nullable(StringEnum(["xml", "k2"])),
  toolTag: Nullable(Type.String()),
  thinkOpen: Affix,
  thinkClose: Affix,
  includeNewline: Type.Boolean(),
});
export type TemplateTagsInfo = Static<typeof TemplateTagsInfo>;

export const TemplateInspection = Type.Object({
  templatePath: Type.String(),
  tags: TemplateTagsInfo,
  /** The settings `parse_tags` and `swap_reasoning_content` run with given only this `template_path`. */
  parseTags: OpenObject({}),
  swapReasoningContent: OpenObject({}),
});
export type TemplateInspection = Static<typeof TemplateInspection>;

export const TemplateSaved = Type.Object({ ...TemplateInfo.properties, tags: TemplateTagsInfo });
export type TemplateSaved = Static<typeof TemplateSaved>;
