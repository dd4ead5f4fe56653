// The registry: one `Codec` per wire format. A new format is a folder beside chat/, responses/ and
// messages/ plus one line here (and in `WIRE_FORMATS`); the proxy looks formats up, never switches on them.

import type { Codec } from "./codec.js";
import type { WireFormat } from "./ir.js";
import { chatCodec } from "./chat/codec.js";
import { messagesCodec } from "./messages/codec.js";
import { responsesCodec } from "./responses/codec.js";

export const codecs: Readonly<Record<WireFormat, Codec>> = {
  chat: chatCodec,
  responses: responsesCodec,
  messages: messagesCodec,
};
