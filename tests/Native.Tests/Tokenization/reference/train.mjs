// Writes two small synthetic byte-level BPE tokenizers in the exact shape of the Llama-3 and Qwen2 tokenizer.json
// files (same pre-tokenizer patterns, ByteLevel, normalizer, added/special tokens, post-processors), with a vocabulary
// learned here from a small text by plain BPE. Deterministic: same output on every run. No dependencies.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));

const LLAMA3_PATTERN = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const QWEN2_PATTERN = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

const TRAINING_TEXT = `
Once upon a time, there was a little girl named Lily. She liked to play outside in the sun with her dog.
The dog's name was Max, and they'd walk to the park every day at 10:30 and come home at 12:45.
"We'll go again tomorrow," she said. "I'm sure it's going to be a beautiful day!"
In 2024 the team shipped 1,234,567 tokens per second; in 2025 they reached 9876543210.
Le café était très agréable, la crème brûlée délicieuse. Größe, Straße, naïve façade, Æsir, señor, São Paulo.
中文的文本测试：今天天气很好，我们去公园散步。日本語のテキストもあります。한국어 문장도 있습니다.
Emoji are fun 😀😃😄 👍🏽 ❤️ 👨‍👩‍👧‍👦 🇫🇷 🎉🎉
Outside the BMP: 𝐀𝐁𝐂 𝐀𝐁 x𝐀1 𝐱𝐲𝐳 𠀀𠀁𪛖 𠀀 𝟘𝟙𝟚𝟛𝟜 𝟙𝟚 𐅀𐅁
def main():
    for i in range(10):
        print(f"value {i}: {i * i}")
    return 0
\tTabs\tand    spaces   and\n\nnewlines\r\nwindows.
`.repeat(3);

// GPT-2's byte ↔ unicode table: printable bytes map to themselves, the rest to U+0100 onwards.
function bytesToUnicode() {
  const bs = [];
  for (let b = 0x21; b <= 0x7e; b++) bs.push(b);
  for (let b = 0xa1; b <= 0xac; b++) bs.push(b);
  for (let b = 0xae; b <= 0xff; b++) bs.push(b);
  const cs = [...bs];
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!bs.includes(b)) { bs.push(b); cs.push(256 + n); n++; }
  }
  const map = new Map();
  bs.forEach((b, i) => map.set(b, String.fromCodePoint(cs[i])));
  return map;
}
const BYTE_CHAR = bytesToUnicode();
const byteLevel = (s) => [...new TextEncoder().encode(s)].map((b) => BYTE_CHAR.get(b));

function jsPattern(pattern) {
  // JavaScript has no inline (?i:…) group; spell the contractions out (training only, the reference uses the real pattern).
  const contractions = ["s", "t", "re", "ve", "m", "ll", "d"]
    .map((c) => "'" + [...c].map((ch) => `[${ch}${ch.toUpperCase()}]`).join(""))
    .join("|");
  return new RegExp(pattern.replace("(?i:'s|'t|'re|'ve|'m|'ll|'d)", `(?:${contractions})`), "gu");
}

function train(pattern, mergeCount) {
  const words = new Map();
  for (const m of TRAINING_TEXT.matchAll(jsPattern(pattern))) {
    const key = byteLevel(m[0]).join("\u0000");
    words.set(key, (words.get(key) ?? 0) + 1);
  }
  let pieces = [...words].map(([k, count]) => ({ symbols: k.split("\u0000"), count }));
  const merges = [];
  for (let step = 0; step < mergeCount; step++) {
    const pairs = new Map();
    for (const w of pieces) {
      for (let i = 0; i + 1 < w.symbols.length; i++) {
        const key = w.symbols[i] + " " + w.symbols[i + 1];
        pairs.set(key, (pairs.get(key) ?? 0) + w.count);
      }
    }
    if (pairs.size === 0) break;
    // Most frequent pair, ties broken by code-unit order so the result never depends on Map order.
    const [best] = [...pairs].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))[0];
    const [left, right] = best.split(" ");
    merges.push([left, right]);
    for (const w of pieces) {
      const out = [];
      for (let i = 0; i < w.symbols.length; i++) {
        if (i + 1 < w.symbols.length && w.symbols[i] === left && w.symbols[i + 1] === right) { out.push(left + right); i++; }
        else out.push(w.symbols[i]);
      }
      w.symbols = out;
    }
  }
  const vocab = {};
  let id = 0;
  for (let b = 0; b < 256; b++) vocab[BYTE_CHAR.get(b)] = id++;
  for (const [l, r] of merges) if (!(l + r in vocab)) vocab[l + r] = id++;
  return { vocab, merges, next: id };
}

const added = (id, content, special) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special });

function bpeModel(vocab, merges, ignoreMerges, mergesAsArrays) {
  return {
    type: "BPE", dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null,
    fuse_unk: false, byte_fallback: false, ignore_merges: ignoreMerges, vocab,
    merges: mergesAsArrays ? merges : merges.map(([l, r]) => `${l} ${r}`),
  };
}

function write(folder, tokenizer, config) {
  mkdirSync(join(here, folder), { recursive: true });
  writeFileSync(join(here, folder, "tokenizer.json"), JSON.stringify(tokenizer, null, 1) + "\n");
  writeFileSync(join(here, folder, "tokenizer_config.json"), JSON.stringify(config, null, 2) + "\n");
}

function llama3() {
  const { vocab, merges, next } = train(LLAMA3_PATTERN, 400);
  let id = next;
  // Whole words that the merges cannot build: only ignore_merges (true in Llama-3) reaches them.
  for (const word of ["Ġzebra", "Ġquokka"]) {
    if (word in vocab) throw new Error(`${word} is already in the vocabulary`);
    vocab[word] = id++;
  }
  const names = ["<|begin_of_text|>", "<|end_of_text|>", "<|reserved_special_token_0|>", "<|reserved_special_token_1|>",
    "<|finetune_right_pad_id|>", "<|reserved_special_token_2|>", "<|start_header_id|>", "<|end_header_id|>", "<|eom_id|>", "<|eot_id|>", "<|python_tag|>"];
  const addedTokens = names.map((n) => added(id++, n, true));
  const bos = addedTokens[0];
  const tokenizer = {
    version: "1.0", truncation: null, padding: null, added_tokens: addedTokens, normalizer: null,
    pre_tokenizer: { type: "Sequence", pretokenizers: [
      { type: "Split", pattern: { Regex: LLAMA3_PATTERN }, behavior: "Isolated", invert: false },
      { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: false },
    ] },
    post_processor: { type: "Sequence", processors: [
      { type: "ByteLevel", add_prefix_space: true, trim_offsets: false, use_regex: true },
      { type: "TemplateProcessing",
        single: [{ SpecialToken: { id: bos.content, type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }],
        pair: [{ SpecialToken: { id: bos.content, type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } },
               { SpecialToken: { id: bos.content, type_id: 1 } }, { Sequence: { id: "B", type_id: 1 } }],
        special_tokens: { [bos.content]: { id: bos.content, ids: [bos.id], tokens: [bos.content] } } },
    ] },
    decoder: { type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: bpeModel(vocab, merges, true, false),
  };
  const config = { bos_token: "<|begin_of_text|>", eos_token: "<|end_of_text|>", clean_up_tokenization_spaces: true,
    model_max_length: 131072, tokenizer_class: "PreTrainedTokenizerFast" };
  write("llama3", tokenizer, config);
  // The same tokenizer with no BOS in its post-processor and add_bos_token in tokenizer_config.json instead
  // (as transformers' LlamaTokenizerFast rebuilds its post-processor from add_bos_token).
  write("llama3-config-bos", { ...tokenizer, post_processor: tokenizer.post_processor.processors[0] },
    { ...config, add_bos_token: true });
}

function qwen2() {
  const { vocab, merges, next } = train(QWEN2_PATTERN, 350);
  let id = next;
  const addedTokens = [added(id++, "<|endoftext|>", true), added(id++, "<|im_start|>", true), added(id++, "<|im_end|>", true),
    added(id++, "<tool_call>", false), added(id++, "</tool_call>", false)];
  const byteLevelStep = { type: "ByteLevel", add_prefix_space: false, trim_offsets: false, use_regex: false };
  const tokenizer = {
    version: "1.0", truncation: null, padding: null, added_tokens: addedTokens, normalizer: { type: "NFC" },
    pre_tokenizer: { type: "Sequence", pretokenizers: [
      { type: "Split", pattern: { Regex: QWEN2_PATTERN }, behavior: "Isolated", invert: false }, byteLevelStep] },
    post_processor: byteLevelStep,
    decoder: byteLevelStep,
    model: bpeModel(vocab, merges, false, true),
  };
  const config = { add_prefix_space: false, bos_token: null, eos_token: "<|im_end|>", pad_token: "<|endoftext|>",
    errors: "replace", clean_up_tokenization_spaces: false, model_max_length: 32768, tokenizer_class: "Qwen2Tokenizer" };
  write("qwen2", tokenizer, config);
}

llama3();
qwen2();
