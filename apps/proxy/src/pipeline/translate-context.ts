// The clock and id source every translation in the proxy runs with (the codecs themselves are pure).

import { randomUUID } from "node:crypto";
import type { TranslateContext } from "@yallmproxy/translate";

export const translateContext: TranslateContext = {
  now: () => Math.floor(Date.now() / 1000),
  // randomUUID draws from a cached entropy pool: far cheaper than a randomBytes call per id.
  newId: (prefix) => `${prefix}${randomUUID().replaceAll("-", "").slice(0, 24)}`,
};
