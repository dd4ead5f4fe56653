// Routes declare TypeBox schemas for their params, query, body and answers; handlers take their
// types from them. Requests are validated by Fastify's ajv. Answers are written with plain
// JSON.stringify whatever their schema says: a schema-driven serializer would drop fields it does
// not list and coerce values, and an answer must reach the client as the handler built it. With
// YALLMPROXY_CHECK_RESPONSES=1 (the test suite sets it) every answer is checked against its
// schema instead, and one that does not fit fails loudly, so the schemas stay true.

import type { Static, TSchema } from "@sinclair/typebox";
import { Ajv, type ValidateFunction } from "ajv";
import type { FastifyInstance, FastifyTypeProvider } from "fastify";

export interface TypeBoxProvider extends FastifyTypeProvider {
  validator: this["schema"] extends TSchema ? Static<this["schema"]> : unknown;
  serializer: this["schema"] extends TSchema ? Static<this["schema"]> : unknown;
}

/** The app (or a plugin's scope) with handler types taken from the route schemas. */
export function typed(app: FastifyInstance) {
  return app.withTypeProvider<TypeBoxProvider>();
}

const stringify = (data: unknown): string => JSON.stringify(data);

class ResponseSchemaError extends Error {
  override readonly name = "ResponseSchemaError";
}

let checker: Ajv | undefined;

function checkedSerializer(schema: unknown, where: string): (data: unknown) => string {
  checker ??= new Ajv({ strict: false, allowUnionTypes: true, allErrors: true });
  const validate: ValidateFunction = checker.compile(schema as object);
  return (data) => {
    const text = stringify(data);
    if (!validate(JSON.parse(text))) throw new ResponseSchemaError(`${where}: the answer does not fit its schema: ${checker!.errorsText(validate.errors)}`);
    return text;
  };
}

/**
 * How answers with a schema are written: as they are, or (checking) after matching their schema.
 * Checking, a route that takes path parameters without declaring their schema is refused.
 */
export function useResponseSchemas(app: FastifyInstance, check: boolean): void {
  app.setSerializerCompiler(({ schema, method, url, httpStatus }) => (check ? checkedSerializer(schema, `${method} ${url} ${httpStatus}`) : stringify));
  if (!check) return;
  app.addHook("onRoute", (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const where = `${methods.join(",")} ${route.url}`;
    if (/[:*]/.test(route.url) && route.schema?.params === undefined) throw new ResponseSchemaError(`${where} takes path parameters without a schema`);
  });
}
