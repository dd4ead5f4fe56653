// Loose wire types for the OpenAI Responses API. Bodies are validated field by field by the
// decoders; these types only name the shapes that cross module boundaries.

/** One `input[]` item as a client sends it (or as the proxy's response store hands it back). */
export interface ResponsesInputItem {
  type?: string;
  id?: string;
  [key: string]: unknown;
}

/** Resolves an `item_reference` id (e.g. from the proxy's stored responses). */
export type ResponsesItemResolver = (id: string) => ResponsesInputItem | undefined;
