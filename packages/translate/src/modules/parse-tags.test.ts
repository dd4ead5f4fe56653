// parse_tags on whole answers and streams: yaLLMproxy's own parser cases (its inputs), plus tags
// split across chunks, several calls, malformed blocks and the buffer limit.

import { describe, expect, it } from "vitest";
import { createChatStreamDecoder } from "../chat/stream-decoder.js";
import { parseTags, responseThrough, streamThrough, templates } from "../shared/testing/modules-harness.js";
import { createTestContext } from "../shared/testing/test-context.js";
import { withResponseModules } from "./response-modules.js";

const QWEN_TEMPLATE = [
  "{%- if tools %}{{- '<tool_call>\\n<function=example_function_name>\\n<parameter=example_parameter_1>\\nvalue_1\\n</parameter>\\n</function>\\n</tool_call>' }}{%- endif %}",
  "{{- '<|im_start|>' + message.role + '\\n<think>\\n' + reasoning_content + '\\n</think>\\n\\n' + content }}",
  "{{- '\\n<tool_call>\\n<function=' + tool_call.name + '>\\n' }}{{- '</function>\\n</tool_call>' }}",
].join("\n");
const K2_TEMPLATE = [
  "<|tool_calls_section_begin|>{%- for tool_call in message['tool_calls'] -%}",
  "<|tool_call_begin|>{{ tool_call['id'] }}<|tool_call_argument_begin|>{{ tool_call['function']['arguments'] }}<|tool_call_end|>",
  "{%- endfor -%}<|tool_calls_section_end|>{{ '<think>' + reasoning_content + '</think>' }}",
].join("\n");
const files = templates({ "qwen.jinja": QWEN_TEMPLATE, "k2.jinja": K2_TEMPLATE, "analysis.jinja": "{{ '<analysis>' + reasoning_content + '</analysis>' }}" });
const qwen = (extra: Record<string, unknown> = {}) => parseTags({ template_path: "qwen.jinja", parse_thinking: true, parse_tool_calls: true, ...extra }, files);

describe("parse_tags, whole answers (yaLLMproxy's cases)", () => {
  it("a tool call inside the think block: reasoning before it, the call, nothing after", () => {
    const raw = "<think>before<tool_call>lookup<arg_key>q</arg_key><arg_value>x</arg_value></tool_call>after</think>Answer";
    const seen = responseThrough(parseTags({ parse_thinking: true, parse_tool_calls: true, think_tag: "think", tool_tag: "tool_call" }), { content: raw });
    expect(seen.reasoning).toBe("before");
    expect(seen.content).toBeUndefined();
    expect(seen.calls).toEqual([{ name: "lookup", args: { q: "x" } }]);
    expect(seen.finish).toBe("tool_calls");
    expect(seen.warnings.map((w) => w.code)).toEqual(["content_dropped"]);
  });

  it("Kimi K2 markers found from the template, section markers dropped", () => {
    const raw =
      '<think>Reason</think>Answer<|tool_calls_section_begin|><|tool_call_begin|>lookup<|tool_call_argument_begin|>{"query":"x"}<|tool_call_end|><|tool_calls_section_end|>';
    const seen = responseThrough(parseTags({ template_path: "k2.jinja" }, files), { content: raw });
    expect(seen.reasoning).toBe("Reason");
    expect(seen.content).toBe("Answer");
    expect(seen.calls).toEqual([{ name: "lookup", args: { query: "x" } }]);
  });

  it("a mention of the tag that is no call stays text, with a warning", () => {
    const seen = responseThrough(parseTags({ parse_thinking: true, parse_tool_calls: true, tool_tag: "tool_call" }), {
      content: "Mention <tool_call>not a call</tool_call> ok",
    });
    expect(seen.content).toBe("Mention <tool_call>not a call</tool_call> ok");
    expect(seen.calls).toEqual([]);
    expect(seen.warnings[0]).toMatchObject({ code: "tool_call_unparsed", path: "choices[0]" });
  });

  it("the think tag detected from the template (<analysis>)", () => {
    const seen = responseThrough(parseTags({ template_path: "analysis.jinja", parse_thinking: true, parse_tool_calls: false }, files), {
      content: "<analysis>Reason</analysis>Answer",
    });
    expect(seen).toMatchObject({ reasoning: "Reason", content: "Answer" });
  });

  it("Qwen <function=…> with no parameters", () => {
    const seen = responseThrough(qwen(), { content: "<think>Need a simple tool.</think>\n\n<tool_call>\n<function=show_files>\n</function>\n</tool_call>" });
    expect(seen).toMatchObject({ reasoning: "Need a simple tool.", content: undefined, calls: [{ name: "show_files", args: {} }] });
  });

  it("Qwen <parameter=…> values, finish_reason becomes tool_calls", () => {
    const raw =
      "<think>Need template fields.</think>\n\n<tool_call>\n<function=get_template_keys>\n<parameter=template_name>\nРапорт об обнаружении признаков преступления.docx\n</parameter>\n</function>\n</tool_call>";
    const seen = responseThrough(qwen(), { content: raw });
    expect(seen.reasoning).toBe("Need template fields.");
    expect(seen.content).toBeUndefined();
    expect(seen.calls).toEqual([{ name: "get_template_keys", args: { template_name: "Рапорт об обнаружении признаков преступления.docx" } }]);
    expect(seen.finish).toBe("tool_calls");
  });

  it("qwen_xml repairs a repeated <function=…> opening", () => {
    const raw = "<tool_call>\n<function=law_searcher>\n<function=law_searcher>\n<parameter=description>\nплатье\n</parameter>\n</function>\n</tool_call>";
    const seen = responseThrough(qwen({ tool_parser: "qwen_xml" }), { content: raw });
    expect(seen).toMatchObject({ content: undefined, calls: [{ name: "law_searcher", args: { description: "платье" } }] });
  });

  it("qwen_xml reads a JSON tool call", () => {
    const seen = responseThrough(qwen({ tool_parser: "qwen_xml" }), { content: '<tool_call>{"name":"show_files","parameters":{}}</tool_call>' });
    expect(seen).toMatchObject({ content: undefined, calls: [{ name: "show_files", args: {} }] });
  });

  it("start_in_think with no </think> keeps a plain answer as it was", () => {
    const seen = responseThrough(qwen({ start_in_think: true }), { content: '{"entities": [], "relationships": []}' });
    expect(seen).toMatchObject({ content: '{"entities": [], "relationships": []}', reasoning: undefined });
  });

  it("three calls in one message, in order", () => {
    const raw = [
      "func1<arg_key>a</arg_key><arg_value>1</arg_value>",
      "func2<arg_key>b</arg_key><arg_value>2</arg_value>",
      "func3<arg_key>c</arg_key><arg_value>3</arg_value>",
    ]
      .map((b) => `<tool_call>${b}</tool_call>`)
      .join("");
    const seen = responseThrough(parseTags({}), { content: raw });
    expect(seen.calls).toEqual([
      { name: "func1", args: { a: 1 } },
      { name: "func2", args: { b: 2 } },
      { name: "func3", args: { c: 3 } },
    ]);
  });

  it("parse_tool_calls off leaves tool tags as text; parse_thinking off leaves think tags", () => {
    expect(
      responseThrough(parseTags({ parse_tool_calls: false }), { content: "<tool_call>func<arg_key>a</arg_key><arg_value>1</arg_value></tool_call>" }).content,
    ).toContain("<tool_call>func");
    expect(responseThrough(parseTags({ parse_thinking: false }), { content: "<think>This stays.</think>Rest of content." }).content).toBe(
      "<think>This stays.</think>Rest of content.",
    );
  });

  it("drop_tags are removed from the text", () => {
    expect(responseThrough(parseTags({ drop_tags: ["<debug>", "</debug>"] }), { content: "<debug>internal info</debug>User-facing content." }).content).toBe(
      "internal infoUser-facing content.",
    );
  });

  it("K2 JSON arguments with explicit delimiters", () => {
    const raw = '<|tool_call_begin|>get_data<|tool_call_argument_begin|>{"id": 42}<|tool_call_end|>';
    const seen = responseThrough(
      parseTags({
        tool_arg_format: "json",
        tool_open: "<|tool_call_begin|>",
        tool_close: "<|tool_call_end|>",
        tool_arg_separator: "<|tool_call_argument_begin|>",
      }),
      { content: raw },
    );
    expect(seen.calls).toEqual([{ name: "get_data", args: { id: 42 } }]);
  });

  it("an answer that already has reasoning and tool calls is not parsed again", () => {
    const seen = responseThrough(
      parseTags({}),
      {
        content: "<think>x</think>shown",
        reasoning_content: "native",
        tool_calls: [{ id: "call_n", type: "function", function: { name: "native", arguments: "{}" } }],
      },
      "tool_calls",
    );
    expect(seen.reasoning).toBe("native");
    expect(seen.content).toBe("<think>x</think>shown");
    expect(seen.calls).toEqual([{ name: "native", args: {} }]);
  });
});

describe("parse_tags, streams (yaLLMproxy's cases)", () => {
  it("tool_buffer_limit: an open block past the limit is text, with a warning", () => {
    const seen = streamThrough(parseTags({ parse_thinking: false, tool_tag: "tool_call", tool_buffer_limit: 5 }), ["<tool_call>abcdef"]);
    expect(seen.content).toBe("<tool_call>abcdef");
    expect(seen.calls).toEqual([]);
    expect(seen.warnings[0]?.message).toContain("tool_buffer_limit (5 characters)");
  });

  it("K2 in one chunk", () => {
    const seen = streamThrough(parseTags({ template_path: "k2.jinja" }, files), [
      '<think>Reason</think>Answer<|tool_call_begin|>lookup<|tool_call_argument_begin|>{"query":"x"}<|tool_call_end|>',
    ]);
    expect(seen).toMatchObject({ content: "Answer", reasoning: "Reason", calls: [{ name: "lookup", args: '{"query":"x"}' }], finishes: ["tool_calls"] });
  });

  it("start_in_think: Qwen3 streams no <think>, only </think>", () => {
    const seen = streamThrough(qwen({ start_in_think: true }), [
      "Need to inspect files",
      "</think>\n\n<tool_call>\nshow_files\n<arg_key>path</arg_key>\n<arg_value>/tmp</arg_value>",
      "\n</tool_call>",
    ]);
    expect(seen.reasoning).toBe("Need to inspect files");
    expect(seen.content.trim()).toBe("");
    expect(seen.calls.map((c) => [c.name, JSON.parse(c.args)])).toEqual([["show_files", { path: "/tmp" }]]);
    expect(seen.finishes).toEqual(["tool_calls"]);
  });

  it("stream_tool_calls + qwen_xml: a repeated opening repaired, two calls with their own indices", () => {
    const seen = streamThrough(qwen({ stream_tool_calls: true, tool_parser: "qwen_xml" }), [
      "<tool_call>\n<function=law_searcher>\n",
      "<function=law_searcher>\n<parameter=description>\n",
      "платье\n</parameter>\n</function>\n</tool_call>",
      "\n\n<tool_call>\n<function=law_searcher>\n",
      "<parameter=description>\nплатье\n</parameter>\n</function>\n</tool_call>",
    ]);
    expect(seen.calls.map((c) => [c.index, c.name, c.args])).toEqual([
      [0, "law_searcher", '{"description":"платье"}'],
      [1, "law_searcher", '{"description":"платье"}'],
    ]);
    expect(new Set(seen.calls.map((c) => c.id)).size).toBe(2);
  });

  it("stream_tool_calls: a call with no parameters streams as {}", () => {
    const seen = streamThrough(qwen({ stream_tool_calls: true, tool_parser: "qwen_xml" }), [
      "<tool_call>\n<function=show_files>\n",
      "</function>\n</tool_call>",
    ]);
    expect(seen.calls.map((c) => [c.name, c.args])).toEqual([["show_files", "{}"]]);
  });

  it("a JSON call is parsed whole at its close; text after the call is dropped", () => {
    const seen = streamThrough(qwen({ stream_tool_calls: true, tool_parser: "qwen_xml" }), [
      '<tool_call>{"name":"show_files",',
      '"parameters":{}}</tool_call>"\nextra text after tool call',
    ]);
    expect(seen.content).toBe("");
    expect(seen.calls.map((c) => [c.name, c.args])).toEqual([["show_files", "{}"]]);
  });

  it("long arguments stream in pieces and join to valid JSON", () => {
    const seen = streamThrough(qwen({ stream_tool_calls: true }), [
      "<tool_call>\n<function=write_report>\n<parameter=text>\n",
      "Прокси должен отдавать длинные аргументы инструмента небольшими ",
      "фрагментами, чтобы клиент видел function.arguments во время генерации, ",
      "а не только после закрывающего XML-тега.\n</parameter>\n",
      "</function>\n</tool_call>",
    ]);
    const deltas = seen.events.filter((e) => e.type === "tool_call_delta");
    expect(deltas.length).toBeGreaterThan(3);
    const args = JSON.parse(seen.calls[0]!.args) as { text: string };
    expect(args.text.startsWith("Прокси должен отдавать")).toBe(true);
    expect(args.text.endsWith("закрывающего XML-тега.")).toBe(true);
    expect(seen.finishes).toEqual(["tool_calls"]);
  });

  it("a JSON parameter value streams as an object", () => {
    const seen = streamThrough(qwen({ stream_tool_calls: true }), [
      "<tool_call>\n<function=fill_form>\n<parameter=document_name>\n",
      "Тестовый_рапорт.docx\n</parameter>\n<parameter=form_data>\n",
      '{"место_составления": "г. Москва", "дата_год": "2026"}',
      "\n</parameter>\n</function>\n</tool_call>",
    ]);
    expect(JSON.parse(seen.calls[0]!.args)).toEqual({ document_name: "Тестовый_рапорт.docx", form_data: { место_составления: "г. Москва", дата_год: "2026" } });
  });

  it("every tag split at every position across two chunks gives the same answer", () => {
    const raw = "<think>Reasoning here</think>Content after.<tool_call>search<arg_key>query</arg_key><arg_value>test</arg_value></tool_call>";
    for (let cut = 1; cut < raw.length; cut++) {
      const seen = streamThrough(parseTags({}), [raw.slice(0, cut), raw.slice(cut)]);
      expect([seen.reasoning, seen.content, seen.calls.map((c) => c.name + c.args)], `cut at ${cut}`).toEqual([
        "Reasoning here",
        "Content after.",
        ['search{"query":"test"}'],
      ]);
    }
  });

  it("one character a chunk", () => {
    const raw = "<think>First I think.</think><tool_call>action<arg_key>p</arg_key><arg_value>v</arg_value></tool_call>";
    const seen = streamThrough(parseTags({}), [...raw]);
    expect(seen).toMatchObject({ reasoning: "First I think.", content: "", finishes: ["tool_calls"] });
    expect(seen.calls.map((c) => [c.name, c.args])).toEqual([["action", '{"p":"v"}']]);
  });

  it("a malformed block is kept as text, never lost, and the stream goes on", () => {
    const seen = streamThrough(parseTags({}), ["Look: <tool_call>bad name<arg_key>", "k</arg_key></tool_call>", " done"]);
    expect(seen.content).toBe("Look: <tool_call>bad name<arg_key>k</arg_key></tool_call> done");
    expect(seen.warnings.map((w) => w.code)).toEqual(["tool_call_unparsed"]);
    expect(seen.finishes).toEqual(["stop"]);
  });

  it("a block left open at the end of the stream is text again", () => {
    const seen = streamThrough(parseTags({}), ["Hi <tool_call>get_weather<arg_key>city</arg_key>"]);
    expect(seen.content).toBe("Hi <tool_call>get_weather<arg_key>city</arg_key>");
    expect(seen.calls).toEqual([]);
  });

  it("reasoning_end falls between the reasoning and the text, once", () => {
    const seen = streamThrough(parseTags({}), ["<think>a", "b</think>", "c"]);
    const types = seen.events.map((e) => e.type).filter((t) => t.startsWith("reasoning") || t === "text_delta");
    expect(types).toEqual(["reasoning_delta", "reasoning_delta", "reasoning_end", "text_delta"]);
  });

  it("a streamed call whose block ends early is closed with valid JSON arguments and a warning", () => {
    const early = streamThrough(qwen({ stream_tool_calls: true }), ["<tool_call>\n<function=f>\n<parameter=a>\nhel", "lo\n</tool_call>"]);
    expect(early.calls.map((c) => [c.name, JSON.parse(c.args)])).toEqual([["f", { a: "hello" }]]);
    expect(early.warnings.map((w) => w.code)).toEqual(["tool_call_unparsed"]);
    const cut = streamThrough(qwen({ stream_tool_calls: true }), ['<tool_call>\n<function=f>\n<parameter=a>\n1\n</parameter>\n<parameter=b>\n{"x": 2']);
    expect(cut.calls.map((c) => JSON.parse(c.args))).toEqual([{ a: "1", b: '{"x": 2' }]);
    const garbage = streamThrough(qwen({ stream_tool_calls: true }), ["<tool_call>\n<function=f>\n<parameter=a>\nx\n</parameter>\nnot xml</tool_call>"]);
    expect(garbage.calls.map((c) => JSON.parse(c.args))).toEqual([{ a: "x" }]);
  });

  it("bounded: a JSON value past the limit streams as a string; a tag that never closes is text", () => {
    const big = `{"k": "${"v".repeat(300)}"}`;
    const long = streamThrough(qwen({ stream_tool_calls: true, tool_buffer_limit: 100 }), [
      "<tool_call>\n<function=f>\n<parameter=a>\n",
      big,
      "\n</parameter>\n</function>\n</tool_call>",
    ]);
    expect(JSON.parse(long.calls[0]!.args)).toEqual({ a: big });
    const open = streamThrough(qwen({ stream_tool_calls: true, tool_buffer_limit: 1000 }), ["<tool_call><function", "x".repeat(2000)]);
    expect(open.calls).toEqual([]);
    expect(open.content).toBe(`<tool_call><function${"x".repeat(2000)}`);
  });

  it("a stream that breaks gives back what was held before its error", () => {
    const decoder = withResponseModules(createChatStreamDecoder(), parseTags({}), createTestContext(), []);
    const chunk = (content: string) =>
      JSON.stringify({ id: "c", object: "chat.completion.chunk", created: 1, model: "m", choices: [{ index: 0, delta: { content }, finish_reason: null }] });
    const events = [
      ...decoder.push({ data: chunk("Hi <tool_call>get_weather<arg") }),
      ...decoder.broke!({ type: "error", error: { type: "server_error", message: "cut" } }),
    ];
    const text = events.flatMap((e) => (e.type === "text_delta" ? [e.delta] : [])).join("");
    expect(text).toBe("Hi <tool_call>get_weather<arg");
    expect(events[events.length - 1]).toMatchObject({ type: "error" });
  });

  it("a <think> inside reasoning is text unless it repeats the opening; the same for every chunking", () => {
    for (const pieces of [["<think><think>a <think> b</think>c"], ["<think><thi", "nk>a <thi", "nk> b</th", "ink>c"]]) {
      expect(streamThrough(parseTags({}), pieces)).toMatchObject({ reasoning: "a <think> b", content: "c" });
    }
  });

  it("a block whose name holds markup is not a call (yaLLMproxy made one of it)", () => {
    const seen = responseThrough(parseTags({}), { content: '<tool_call><function=f>get_weather{"a":1}</tool_call>' });
    expect(seen.calls).toEqual([]);
    expect(seen.content).toBe('<tool_call><function=f>get_weather{"a":1}</tool_call>');
  });
});
