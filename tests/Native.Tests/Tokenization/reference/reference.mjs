// Expected ids and decoded text for the synthetic tokenizers, from the Hugging Face tokenizers library for JS.
// Run after train.mjs: npm install && node reference.mjs  (writes expected.json next to this script).
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Tokenizer } from "@huggingface/tokenizers";

const here = dirname(fileURLToPath(import.meta.url));

const CORPUS = [
  "",
  "Hello world",
  "Once upon a time, there was a little girl named Lily.",
  "  leading spaces and trailing spaces   ",
  "whitespace\t\truns     inside\n\n\nand newlines\n",
  "windows\r\nline\r\n\r\nendings",
  "digits 1 12 123 1234 12345 1234567 3.14159 2025-12-02 ٣٤٥",
  "It's we'll I'M they'D you've WE'RE don't",
  "naïve café façade Æsir Größe São Paulo señor",
  "decomposed e\u0301 and a\u0308 versus é and ä",
  "中文的文本测试：今天天气很好。日本語のテキスト、한국어 문장",
  "emoji 😀 thumbs 👍🏽 family 👨‍👩‍👧‍👦 flag 🇫🇷 heart ❤️ party 🎉🎉",
  "a zebra and a quokka",
  "<|begin_of_text|>Hello<|eot_id|>",
  "<|start_header_id|>user<|end_header_id|>\n\nHi there<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n",
  "<|im_start|>system\nYou are helpful.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n",
  "text<|im_end|>glued<|endoftext|> and <tool_call>{\"name\": \"f\", \"arguments\": {}}</tool_call>",
  "def main():\n    for i in range(10):\n        print(f\"value {i}: {i * i}\")\n",
  "unseen letters: ñandú, œuvre, Ωmega, Ж, ק, ع",
  "\u00a0non-breaking\u2003em space\u3000ideographic",
];

function load(folder) {
  const json = JSON.parse(readFileSync(join(here, folder, "tokenizer.json"), "utf8"));
  const config = JSON.parse(readFileSync(join(here, folder, "tokenizer_config.json"), "utf8"));
  return new Tokenizer(json, config);
}

function cases(folder, withSpecial) {
  const tokenizer = load(folder);
  return CORPUS.map((text) => {
    const plain = tokenizer.encode(text, { add_special_tokens: false }).ids;
    const ids = withSpecial(tokenizer, text, plain);
    // decode refuses an empty array; the text of no tokens is "".
    const decoded = ids.length === 0 ? "" : tokenizer.decode(ids, { skip_special_tokens: true, clean_up_tokenization_spaces: false });
    return { text, ids, idsWithoutSpecial: plain, decoded };
  });
}

const fromPostProcessor = (tokenizer, text) => tokenizer.encode(text, { add_special_tokens: true }).ids;
// tokenizers.js reads only the post-processor; transformers puts bos_token first when add_bos_token is true.
const bosFromConfig = (tokenizer, text, plain) => [tokenizer.token_to_id("<|begin_of_text|>"), ...plain];

const expected = {
  generator: "@huggingface/tokenizers " + JSON.parse(readFileSync(join(here, "node_modules/@huggingface/tokenizers/package.json"), "utf8")).version,
  tokenizers: {
    "llama3": cases("llama3", fromPostProcessor),
    "qwen2": cases("qwen2", fromPostProcessor),
    "llama3-config-bos": cases("llama3-config-bos", bosFromConfig),
  },
};
writeFileSync(join(here, "expected.json"), JSON.stringify(expected, null, 1) + "\n");
