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
  "outside the BMP: \u{1d400}\u{1d401}\u{1d402} bold, \u{20000}\u{20001}\u{2a6d6} ext-B, \u{1d7d8}\u{1d7d9}\u{1d7da}\u{1d7db}\u{1d7dc} digits, \u{10140}\u{10141} numbers, x\u{1d400}1",
  "Hangul jamo \u1112\u1161\u11ab\u1100\u1173\u11af and Vie\u0323\u0302t Nam, \u212b \u2126",
];

// NFC and NFD as JavaScript's String.prototype.normalize gives them: the reference for our own normalizer
// (Qwen2's tokenizer.json normalizes to NFC; the app runs with .NET's InvariantGlobalization, without ICU).
const NORMALIZATION = [
  "",
  "plain ASCII",
  "e\u0301 a\u0308 o\u0302 A\u030a",
  "\u00e9\u00e4\u00f4\u00c5",
  "a\u0323\u0302 a\u0302\u0323 \u1ead",
  "Vie\u0323\u0302t Nam Vi\u1ec7t Nam",
  "q\u0307\u0323 q\u0323\u0307",
  "\u212b \u2126 \u212a \u2000 \u0340 \u0341 \u0343 \u0344 \u0374 \u037e \u0387",
  "\u0958 \u0915\u093c \u09dc \u0a33 \u0f43 \ufb1d \ufb2a",
  "\u1112\u1161\u11ab\u1100\u1173\u11af \ud55c\uae00 \u1100\u1161 \uac00\u11a8 \u1100\u1100\u1161",
  "\u03b9\u0308\u0301 \u0390 \u1fd3 \u03c9\u0345\u0313 \u1f60\u0345",
  "\u0301 leading mark, then \u0301\u0065",
  "\u0061\u0315\u0300\u05ae\u0300\u0062",
  "\u1e0b\u0323 \u1e0d\u0307 \u0064\u0307\u0323 \u0064\u031b\u0323\u0307",
  "\u2f8a6 \uf900 \uf9ff \u2329 \u232a",
  "\ud834\udd5e \ud834\udd60 \ud834\uddbb",
  "\u0e40\u0e01\u0e21 \u0627\u0653 \u0622 \u3099\u304b\u3099 \u304c",
  "\ud804\udd31\ud804\udd27 \ud804\udd2e",
  "emoji \ud83d\udc68\u200d\ud83d\udc69\u200d\ud83d\udc67 \u2764\ufe0f",
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
  normalization: NORMALIZATION.map((text) => ({ text, nfc: text.normalize("NFC"), nfd: text.normalize("NFD") })),
  generator: "@huggingface/tokenizers " + JSON.parse(readFileSync(join(here, "node_modules/@huggingface/tokenizers/package.json"), "utf8")).version,
  tokenizers: {
    "llama3": cases("llama3", fromPostProcessor),
    "qwen2": cases("qwen2", fromPostProcessor),
    "llama3-config-bos": cases("llama3-config-bos", bosFromConfig),
  },
};
writeFileSync(join(here, "expected.json"), JSON.stringify(expected, null, 1) + "\n");
