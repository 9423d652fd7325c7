// Drives a running node with the official `openai` package (argv[2]: the node's URL, argv[3]: an
// adapter name the node serves; argv[4] and argv[5], when given: a priced model and an API key
// that pays for it). Exits non-zero with a message on the first failed check.
import OpenAI from "openai";
import assert from "node:assert/strict";

const [url, adapter, paidModel, apiKey] = process.argv.slice(2);
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
// Paid: the key pays, the receipt rides along (in the last chunk of a stream); a bad key is the
// client's AuthenticationError.
if (paidModel) {
  const paying = new OpenAI({ baseURL: `${url}/v1`, apiKey });
  const paid = await paying.chat.completions.create({
    model: paidModel,
    messages: [{ role: "user", content: "Quillmere?" }],
    max_tokens: 6,
    temperature: 0,
  });
  const receipt = paid.tributary.receipt;
  assert.ok(receipt && receipt.request_id && BigInt(receipt.fee) > 0n, JSON.stringify(paid));
  const paidStream = await paying.chat.completions.create({
    model: paidModel,
    messages: [{ role: "user", content: "Quillmere?" }],
    max_tokens: 6,
    temperature: 0,
    stream: true,
  });
  let last = null;
  for await (const chunk of paidStream) last = chunk;
  assert.ok(last.tributary?.receipt?.fee, JSON.stringify(last));
  await assert.rejects(
    new OpenAI({ baseURL: `${url}/v1`, apiKey: "trb-sk-wrong" }).chat.completions.create({
      model: paidModel,
      messages: [{ role: "user", content: "x" }],
    }),
    (e) => e instanceof OpenAI.AuthenticationError && e.status === 401,
  );
}
console.log("openai client checks passed");
