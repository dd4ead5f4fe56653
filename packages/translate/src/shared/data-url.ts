// Data URLs (`data:<mime>;base64,<data>`) are how both OpenAI formats inline images and files;
// the hub keeps the bytes as a base64 MediaSource so the Anthropic side can use them too.

import type { MediaSource } from "../ir.js";

const DATA_URL = /^data:([^;,]*)((?:;[^;,]*)*?);base64,(.*)$/s;

/** Splits a base64 data URL; `undefined` for anything else (plain URLs, percent-encoded data URLs). */
export function parseDataUrl(url: string): { mediaType: string; data: string } | undefined {
  const m = DATA_URL.exec(url);
  if (!m) return undefined;
  return { mediaType: m[1] || "application/octet-stream", data: m[3] ?? "" };
}

/** An OpenAI image/file URL as a hub media source: base64 data URLs are unpacked, the rest stay URLs. */
export function urlToMediaSource(url: string): MediaSource {
  const parsed = parseDataUrl(url);
  return parsed ? { kind: "base64", mediaType: parsed.mediaType, data: parsed.data } : { kind: "url", url };
}

function toDataUrl(mediaType: string, data: string): string {
  return `data:${mediaType};base64,${data}`;
}

/** The URL form of a media source (`undefined` for file ids and plain-text documents). */
export function mediaSourceToUrl(source: MediaSource): string | undefined {
  switch (source.kind) {
    case "url":
      return source.url;
    case "base64":
      return toDataUrl(source.mediaType, source.data);
    case "file_id":
    case "text":
      return undefined;
    default: {
      const never: never = source;
      return never;
    }
  }
}

const MIME_BY_EXTENSION: Record<string, string> = {
  pdf: "application/pdf",
  txt: "text/plain",
  md: "text/markdown",
  csv: "text/csv",
  json: "application/json",
  html: "text/html",
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  gif: "image/gif",
  webp: "image/webp",
};

/** OpenAI also accepts bare base64 in `file_data`; guess the type from the file name then. */
export function fileDataToMediaSource(fileData: string, filename: string | undefined): MediaSource {
  const parsed = parseDataUrl(fileData);
  if (parsed) return { kind: "base64", mediaType: parsed.mediaType, data: parsed.data };
  const ext = filename?.split(".").pop()?.toLowerCase() ?? "";
  return { kind: "base64", mediaType: MIME_BY_EXTENSION[ext] ?? "application/pdf", data: fileData };
}
