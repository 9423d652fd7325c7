// Drives a running node with the official `openai` package (argv[2]: the node's URL, argv[3]: an
// adapter name the node serves). Exits non-zero with a message on the first failed check.
import OpenAI from "openai";
import assert from "node:assert/strict";

const [url, adapter] = process.argv.slice(2);
const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: "not-needed-for-free-models" });

// The models list: the base first, as OpenAI model objects.
const models = await client.models.list();
const ids = models.data.map((m) => m.id);
assert.equal(ids[0], "base", `models: ${ids}`);
assert.equal(models.data[0].object, "model");

// Chat and completion, not streamed.
const chat = await client.chat.completions.create({
  model: adapter,
  messages: [{ role: "user", content: "Hello there" }],
  max_tokens: 6,
  temperature: 0,
  ignore_eos: true,
});
assert.equal(chat.object, "chat.completion");
assert.equal(chat.choices[0].message.role, "assistant");
assert.equal(chat.usage.completion_tokens, 6);
assert.ok(chat.tributary.request_id);

const completion = await client.completions.create({
  model: "base",
  prompt: "Once upon",
  max_tokens: 5,
  temperature: 0,
  ignore_eos: true,
});
assert.equal(completion.object, "text_completion");
assert.equal(completion.usage.completion_tokens, 5);

// Streamed: the same text as the answer in one piece, usage in the last chunk.
const stream = await client.chat.completions.create({
  model: adapter,
  messages: [{ role: "user", content: "Hello there" }],
  max_tokens: 6,
  temperature: 0,
  ignore_eos: true,
  stream: true,
  stream_options: { include_usage: true },
});
let text = "";
let usage = null;
for await (const chunk of stream) {
  if (chunk.choices.length) text += chunk.choices[0].delta.content ?? "";
  if (chunk.usage) usage = chunk.usage;
}
assert.equal(text, chat.choices[0].message.content);
assert.equal(usage.completion_tokens, 6);

const streamedCompletion = await client.completions.create({
  model: "base",
  prompt: "Once upon",
  max_tokens: 5,
  temperature: 0,
  ignore_eos: true,
  stream: true,
});
let ctext = "";
for await (const chunk of streamedCompletion) ctext += chunk.choices[0]?.text ?? "";
assert.equal(ctext, completion.choices[0].text);

// Errors surface as the client's own error classes.
await assert.rejects(
  client.chat.completions.create({ model: "no-such-model", messages: [{ role: "user", content: "x" }] }),
  (e) => e instanceof OpenAI.NotFoundError && e.status === 404 && e.param === "model",
);
await assert.rejects(
  client.chat.completions.create({ model: "base", messages: [{ role: "user", content: "x" }], temperature: 7 }),
  (e) => e instanceof OpenAI.BadRequestError && e.param === "temperature",
);
console.log("openai client checks passed");
