// Seed 000's example, written for Node with the official openai package: the image file's bytes as the input.
// Run by OpenAiNodeClientTests: node seed-000.mjs IMAGE (OPENAI_API_KEY and OPENAI_BASE_URL from the environment).
import fs from 'node:fs';
import OpenAI from 'openai';

const client = new OpenAI();
const response = await client.embeddings.create({
  model: 'image-embedding-3-small',
  input: fs.readFileSync(process.argv[2]),
});
console.log(JSON.stringify({ model: response.model, embedding: response.data[0].embedding }));
