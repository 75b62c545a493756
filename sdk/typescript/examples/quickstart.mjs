// The README's quick start with the TypeScript SDK. Run against a server with a key:
//   MEMORY_MESH_URL=http://127.0.0.1:8000 MEMORY_MESH_API_KEY=mm_… node examples/quickstart.mjs
import { MemoryMesh, NotFound } from "memory-mesh";

const mesh = new MemoryMesh({ baseUrl: process.env.MEMORY_MESH_URL, apiKey: process.env.MEMORY_MESH_API_KEY });

// Remember what was said.
await mesh.addMessage({ conversation_id: "chat-1", role: "user", content: "I need help with Python programming" });
await mesh.addMessage({ conversation_id: "chat-1", role: "assistant", content: "Happy to help: what are you building?" });
await mesh.addMessage({ conversation_id: "chat-1", role: "user", content: "A small web scraper for hiking trail reports" });

// Recall it later, by meaning.
for (const hit of (await mesh.search("what is the user building?", { top_k: 3 })).items) {
  console.log(`${hit.score.toFixed(3)}  ${hit.role}: ${hit.content}`);
}

// A prompt block within a token budget.
console.log((await mesh.context({ query: "the user's project", conversation_id: "chat-1", max_tokens: 200 })).text);

// Every message of the conversation, page after page.
let count = 0;
for await (const _ of mesh.messages("chat-1")) count++;
console.log(count, "messages in chat-1");

try {
  await mesh.getMessage("00000000-0000-0000-0000-000000000000");
} catch (e) {
  if (!(e instanceof NotFound)) throw e;
  console.log("not found:", e.message);
}
