// GigaChat's event stream rewritten as a Chat Completions stream, event by event. An event that is not
// JSON, or one longer than the bound, breaks the stream with a protocol error: the relay then ends
// the client's stream with its own error frame instead of a silently truncated answer.

import { Transform, type TransformCallback } from "node:stream";
import { StringDecoder } from "node:string_decoder";
import { UpstreamError } from "../types.js";
import { type AnswerIds, gigachatChunkToChat, gigachatErrorToChat } from "./map-response.js";
import { isObject } from "./gigachat-api.js";

/** The longest event held while waiting for its end. */
const MAX_EVENT_BYTES = 4 * 1024 * 1024;

export function gigachatStreamToChat(ids: AnswerIds): Transform {
  let pending = "";
  let data: string[] = [];
  let dataBytes = 0;
  let done = false;
  const decoder = new StringDecoder("utf8");

  const frame = (payload: string): string => `data: ${payload}\n\n`;
  const dispatch = (): string => {
    if (data.length === 0 || done) return "";
    const text = data.join("\n");
    data = [];
    dataBytes = 0;
    if (text === "[DONE]") {
      done = true;
      return frame("[DONE]");
    }
    const parsed: unknown = JSON.parse(text);
    if (!isObject(parsed)) throw new Error("an event is not a JSON object");
    // An error reported inside the stream: Chat's own error event.
    if (!Array.isArray(parsed.choices) && typeof parsed.message === "string") {
      const status = typeof parsed.status === "number" ? parsed.status : 502;
      return frame(JSON.stringify(gigachatErrorToChat(status, text)));
    }
    return frame(JSON.stringify(gigachatChunkToChat(parsed, ids)));
  };
  /** Each event's frame goes out as soon as it is read, so a bad event later in a chunk loses none. */
  const lines = (final: boolean, emit: (frame: string) => void): void => {
    let nl: number;
    while ((nl = pending.indexOf("\n")) !== -1) {
      const line = pending.slice(0, nl).replace(/\r$/, "");
      pending = pending.slice(nl + 1);
      if (line === "") emit(dispatch());
      else if (line.startsWith("data:")) {
        data.push(line.slice(5).replace(/^ /, ""));
        dataBytes += line.length;
      }
      // Comments (`:`), `event:` and `id:` lines carry nothing Chat needs.
    }
    if (final) {
      if (pending.startsWith("data:")) data.push(pending.slice(5).replace(/^ /, ""));
      pending = "";
      emit(dispatch());
    }
  };
  const run = (stream: Transform, final: boolean, chunk: string, callback: TransformCallback): void => {
    pending += chunk;
    try {
      lines(final, (frame) => {
        if (frame) stream.push(frame);
      });
      if (pending.length + dataBytes > MAX_EVENT_BYTES) {
        return callback(new UpstreamError("protocol", `GigaChat sent an event longer than ${MAX_EVENT_BYTES} bytes`));
      }
      callback();
    } catch (err) {
      callback(new UpstreamError("protocol", `GigaChat sent an event that is not JSON: ${(err as Error).message}`));
    }
  };
  return new Transform({
    decodeStrings: true,
    transform(chunk: Buffer, _enc, callback) {
      run(this, false, decoder.write(chunk), callback);
    },
    flush(callback) {
      run(this, true, decoder.end(), callback);
    },
  });
}
