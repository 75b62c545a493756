"""The README's quick start with the Python SDK. Run against a server with a key:

    MEMORY_MESH_URL=http://127.0.0.1:8000 MEMORY_MESH_API_KEY=mm_… python examples/quickstart.py
"""

import os

from memory_mesh import MemoryMesh, NotFound

mesh = MemoryMesh(os.environ.get("MEMORY_MESH_URL", "http://127.0.0.1:8000"), api_key=os.environ["MEMORY_MESH_API_KEY"])

# Remember what was said.
mesh.add_message("chat-1", "user", "I need help with Python programming")
mesh.add_message("chat-1", "assistant", "Happy to help: what are you building?")
mesh.add_message("chat-1", "user", "A small web scraper for hiking trail reports")

# Recall it later, by meaning.
for hit in mesh.search("what is the user building?", top_k=3).items:
    print(f"{hit.score:.3f}  {hit.role}: {hit.content}")

# A prompt block within a token budget.
print(mesh.context(query="the user's project", conversation_id="chat-1", max_tokens=200).text)

# Every message of the conversation, page after page.
print(sum(1 for _ in mesh.iter_messages("chat-1")), "messages in chat-1")

try:
    mesh.get_message("00000000-0000-0000-0000-000000000000")
except NotFound as e:
    print("not found:", e.message)
