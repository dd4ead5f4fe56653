import { Type } from "@sinclair/typebox";
import { Nullable, StringEnum } from "@yallmproxy/api";
import Fastify from "fastify";
import { describe, expect, it } from "vitest";
import { typed, useResponseSchemas } from "./schema.js";

const Answer = Type.Object({ id: Type.String(), state: Nullable(StringEnum(["a", "b"])) });

async function appWith(check: boolean, answer: unknown) {
  const app = Fastify({ logger: false });
  useResponseSchemas(app, check);
  typed(app).get("/x", { schema: { response: { 200: Answer } } }, async () => answer as never);
  await app.ready();
  return app;
}

describe("route answers with a schema", () => {
  it("are written as the handler built them: a field the schema does not name stays, nothing is coerced", async () => {
    const app = await appWith(false, { id: 7, state: null, extra: { kept: true } });
    const res = await app.inject({ method: "GET", url: "/x" });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ id: 7, state: null, extra: { kept: true } });
    await app.close();
  });

  it("are checked against it when checking is on: one that fits passes, one that does not is a 500 naming the field", async () => {
    const fits = await appWith(true, { id: "r1", state: null });
    expect((await fits.inject({ method: "GET", url: "/x" })).json()).toEqual({ id: "r1", state: null });
    await fits.close();
    const wrong = await appWith(true, { id: "r1", state: "c" });
    const res = await wrong.inject({ method: "GET", url: "/x" });
    expect(res.statusCode).toBe(500);
    expect(res.body).toContain("/state");
    await wrong.close();
  });
});
