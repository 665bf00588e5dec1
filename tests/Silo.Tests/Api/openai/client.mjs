// The official `openai` npm client against a BlitzScale HTTP API: node client.mjs BASE_URL MODEL
// Prints one JSON object of what the client saw; ApiCompatibilityTests checks it. Install the client beside this
// file first (npm install openai); the test does that in a temporary folder.
import OpenAI from "openai";

const [baseURL, model] = process.argv.slice(2);
const client = new OpenAI({ baseURL, apiKey: "unused-without-keys", maxRetries: 0 });
const greedy = { model, max_tokens: 6, temperature: 0, ignore_eos: true };
const out = {};

const completion = await client.completions.create({ ...greedy, prompt: "Once upon a time" });
out.completion = { object: completion.object, text: completion.choices[0].text, finish: completion.choices[0].finish_reason, usage: completion.usage };

const stream = await client.completions.create({ ...greedy, prompt: "Once upon a time", stream: true, stream_options: { include_usage: true } });
let streamed = "", streamUsage = null, chunks = 0;
for await (const chunk of stream) {
  chunks++;
  if (chunk.choices.length > 0) streamed += chunk.choices[0].text;
  if (chunk.usage) streamUsage = chunk.usage;
}
out.stream = { text: streamed, chunks, usage: streamUsage };

const chat = await client.chat.completions.create({ ...greedy, messages: [{ role: "user", content: "Hi" }] });
out.chat = { object: chat.object, role: chat.choices[0].message.role, content: chat.choices[0].message.content, usage: chat.usage };

const chatStream = await client.chat.completions.create({ ...greedy, messages: [{ role: "user", content: "Hi" }], stream: true });
let chatText = "";
for await (const chunk of chatStream) chatText += chunk.choices[0]?.delta?.content ?? "";
out.chatStream = { content: chatText };

const models = await client.models.list();
out.models = models.data.map(m => m.id).sort();

for (const [name, request] of [["notFound", { ...greedy, model: "no-such-model", prompt: "Hi" }], ["badRequest", { ...greedy, prompt: "Hi", max_tokens: "ten" }]]) {
  try {
    await client.completions.create(request);
    out[name] = { status: 200 };
  } catch (e) {
    out[name] = { status: e.status, type: e.constructor.name, message: e.error?.message ?? e.message, param: e.error?.param ?? null };
  }
}
console.log(JSON.stringify(out));
