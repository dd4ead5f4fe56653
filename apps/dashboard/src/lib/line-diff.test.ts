import { describe, expect, it } from "vitest";
import { type DiffLine, lineDiff, parseUnifiedDiff } from "./line-diff";

const lines = (n: number, prefix = "line") => Array.from({ length: n }, (_, i) => `${prefix} ${i + 1}`);
const show = (rows: DiffLine[]) => rows.map((r) => `${{ context: " ", add: "+", del: "-", hunk: "" }[r.kind]}${r.text}|${r.oldNo ?? ""}|${r.newNo ?? ""}`);

describe("lineDiff", () => {
  it("is empty for equal texts", () => {
    expect(lineDiff("a\nb\n", "a\nb\n")).toEqual([]);
  });

  it("gives one hunk with three lines of context and both line numbers", () => {
    const before = lines(10);
    const after = [...before];
    after[4] = "changed";
    expect(show(lineDiff(before.join("\n"), after.join("\n")))).toEqual([
      "@@ -2,7 +2,7 @@||",
      " line 2|2|2",
      " line 3|3|3",
      " line 4|4|4",
      "-line 5|5|",
      "+changed||5",
      " line 6|6|6",
      " line 7|7|7",
      " line 8|8|8",
    ]);
  });

  it("numbers new lines after an insertion and old ones after a deletion", () => {
    const rows = lineDiff("a\nb\nc", "a\nx\ny\nb", 0);
    expect(show(rows.filter((r) => r.kind !== "hunk"))).toEqual(["+x||2", "+y||3", "-c|3|"]);
  });

  it("splits far-apart changes into separate hunks and joins near ones", () => {
    const before = lines(30);
    const far = [...before];
    far[1] = "one";
    far[25] = "two";
    expect(lineDiff(before.join("\n"), far.join("\n")).filter((r) => r.kind === "hunk")).toHaveLength(2);
    const near = [...before];
    near[10] = "one";
    near[15] = "two";
    expect(lineDiff(before.join("\n"), near.join("\n")).filter((r) => r.kind === "hunk")).toHaveLength(1);
  });

  it("finds the longest common subsequence, not a line-by-line replacement", () => {
    const rows = lineDiff("a\nb\nc\nd", "b\nc\nd\ne", 0);
    expect(rows.filter((r) => r.kind === "del").map((r) => r.text)).toEqual(["a"]);
    expect(rows.filter((r) => r.kind === "add").map((r) => r.text)).toEqual(["e"]);
  });

  it("reads back what a unified diff of the same change says", () => {
    const before = lines(12).join("\n");
    const after = before.replace("line 6", "line six").replace("line 7\n", "");
    const ours = lineDiff(before, after);
    const header = ours[0]!.text;
    const unified = ["--- v1", "+++ v2", ...ours.map((r) => (r.kind === "hunk" ? r.text : `${{ context: " ", add: "+", del: "-" }[r.kind]}${r.text}`))].join(
      "\n",
    );
    expect(header).toBe("@@ -3,8 +3,7 @@");
    expect(parseUnifiedDiff(unified)).toEqual(ours);
  });
});

describe("parseUnifiedDiff", () => {
  it("skips file headers and numbers lines from each hunk's start", () => {
    const text =
      "Index: x\n===================================================================\n--- v1\n+++ v2\n@@ -10,3 +12,3 @@\n keep\n-old\n+new\n@@ -40 +42 @@\n-gone\n";
    expect(show(parseUnifiedDiff(text))).toEqual(["@@ -10,3 +12,3 @@||", " keep|10|12", "-old|11|", "+new||13", "@@ -40 +42 @@||", "-gone|40|"]);
  });

  it("keeps a removed line that itself starts with dashes", () => {
    expect(show(parseUnifiedDiff("@@ -1 +1 @@\n- --- a YAML document marker\n+x"))).toEqual(["@@ -1 +1 @@||", "- --- a YAML document marker|1|", "+x||1"]);
  });
});
