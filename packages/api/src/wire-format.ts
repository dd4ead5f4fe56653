// The one list of wire formats, as a schema; the union and its values are the translate package's.

import { WIRE_FORMATS, type WireFormat } from "@yallmproxy/translate/ir";
import { StringEnum } from "./schema-kit.js";

export type { WireFormat };

export const WireFormatSchema = StringEnum<readonly WireFormat[]>(WIRE_FORMATS);
