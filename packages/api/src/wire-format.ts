// The one list of wire formats, as a schema; the type itself is the translate package's.

import type { WireFormat } from "@yallmproxy/translate/ir";
import { StringEnum } from "./schema-kit.js";

export type { WireFormat };

// A record, so that a format added to the union (or one not in it) fails to compile here.
const FORMATS = Object.keys({ chat: true, responses: true, messages: true } satisfies Record<WireFormat, true>) as WireFormat[];

export const WireFormatSchema = StringEnum<readonly WireFormat[]>(FORMATS);
