// Lint rules CI enforces (`npm run lint`, run first by `npm test`). Kept small on purpose:
// each rule catches a real defect class, none is about style (Prettier owns layout).
import js from "@eslint/js";
import { createNodeResolver, importX } from "eslint-plugin-import-x";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["**/dist/**", "**/node_modules/**", "packages/db/src/generated/**", "e2e/clis/**", "coverage/**", "test-results/**", "data/**"] },
  {
    files: ["**/*.{ts,tsx}"],
    extends: [js.configs.recommended, ...tseslint.configs.recommended],
    plugins: { "import-x": importX },
    settings: {
      // Imported files are parsed as TypeScript too, or no-cycle sees no edges in them.
      "import-x/parsers": { "@typescript-eslint/parser": [".ts", ".tsx"] },
      // Source imports end in ".js" (NodeNext) but the files are ".ts"; workspace packages resolve
      // to their sources through the "yallmproxy-source" condition, as in tsconfig and vitest.
      "import-x/resolver-next": [
        createNodeResolver({
          extensions: [".ts", ".tsx", ".js", ".mjs", ".json"],
          extensionAlias: { ".js": [".ts", ".tsx", ".js"] },
          conditionNames: ["yallmproxy-source", "types", "import", "node", "default"],
        }),
      ],
    },
    rules: {
      "import-x/no-cycle": ["error", { ignoreExternal: true }],
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" }],
      "@typescript-eslint/no-explicit-any": "error",
      // A `let` read by a closure before its one assignment cannot be a `const`.
      "prefer-const": ["error", { ignoreReadBeforeAssign: true }],
    },
  },
  {
    // What a reader can hold in mind: past 400 lines a file is two files, past 80 a function two functions.
    files: ["apps/*/src/**/*.{ts,tsx}", "packages/*/src/**/*.{ts,tsx}"],
    ignores: ["**/*.test.{ts,tsx}", "**/testing/**"],
    rules: { "max-lines": ["error", { max: 400 }], "max-lines-per-function": ["error", { max: 80 }] },
  },
  {
    // The end-to-end tests read SDK and CLI payloads whose shapes they check at run time.
    files: ["e2e/**/*.ts"],
    rules: { "@typescript-eslint/no-explicit-any": "off" },
  },
);
