"""Derives model-query.onnx, the graph the local provider embeds search queries with, from
model.onnx (all-MiniLM-L6-v2 with int8 weights, one scale per output column).

model.onnx keeps only its weights in int8: ONNX Runtime turns them back into float32 when it
loads the model, so every matrix product reads float32 weights. A search embeds one short query
(about 15 tokens), and for so few rows a product is bound by reading its weights: 42 MB of
float32 per query, which does not fit the CPU's cache. Here each weight product `x @ (w_q *
scale)` becomes ONNX Runtime's DynamicQuantizeMatMul(x, w_q, scale): the same int8 weights and
scales, with the activations quantised to 8 bits at run time, so a query reads 10.6 MB.

Measured on 2 cores (docs/benchmarks.md): a query takes ~2.9 ms on one thread instead of ~5.1;
its vector has cosine >= 0.99 with model.onnx's vector of the same text; LoCoMo recall of the
vector retriever is unchanged. Stored messages stay embedded by model.onnx: there a vector must
not depend on the other texts of its batch, as one quantisation scale per batch would make it.

Deterministic: the same model.onnx and onnx version give the same bytes (pinned by sha256 in
server/src/embed/local/files.rs and scripts/fetch-model.sh).

Usage: python3 derive-query-model.py MODEL_DIR
"""

import sys

import onnx
from onnx import helper

model_dir = sys.argv[1]
model = onnx.load(f"{model_dir}/model.onnx")
graph = model.graph
initializers = {i.name: i for i in graph.initializer}
producer = {out: node for node in graph.node for out in node.output}


def quantized_weight(name):
    """(int8 weights, per-column scale) if `name` is `Cast(w_q) * scale` of two initializers."""
    mul = producer.get(name)
    if mul is None or mul.op_type != "Mul":
        return None
    cast = producer.get(mul.input[0])
    if cast is None or cast.op_type != "Cast":
        return None
    weights, scale = cast.input[0], mul.input[1]
    if weights not in initializers or scale not in initializers:
        return None
    if len(initializers[weights].dims) != 2:
        return None
    return weights, initializers[scale]


nodes, scales, replaced = [], {}, 0
for node in graph.node:
    found = quantized_weight(node.input[1]) if node.op_type == "MatMul" else None
    if found is None:
        nodes.append(node)
        continue
    weights, scale = found
    # DynamicQuantizeMatMul takes the per-column scale as a 1-D tensor: (1, n) -> (n).
    flat = f"{scale.name}_columns"
    if flat not in scales:
        column = onnx.TensorProto()
        column.CopyFrom(scale)
        column.name = flat
        del column.dims[:]
        column.dims.append(scale.dims[-1])
        scales[flat] = column
    nodes.append(
        helper.make_node(
            "DynamicQuantizeMatMul",
            [node.input[0], weights, flat],
            list(node.output),
            name=f"{node.name}_dynamic",
            domain="com.microsoft",
        )
    )
    replaced += 1
if replaced == 0:
    sys.exit("no int8 weight products found: is this the pinned model.onnx?")

# Drop what nothing reads any more (the weights' float32 conversions), keeping graph order.
live = {out.name for out in graph.output}
kept = []
for node in reversed(nodes):
    if any(out in live for out in node.output):
        kept.append(node)
        live.update(node.input)
del graph.node[:]
graph.node.extend(reversed(kept))
used = [i for i in graph.initializer if i.name in live] + list(scales.values())
del graph.initializer[:]
graph.initializer.extend(used)
model.opset_import.append(helper.make_opsetid("com.microsoft", 1))
onnx.checker.check_model(model)
onnx.save(model, f"{model_dir}/model-query.onnx.part")
print(f"model-query.onnx: {replaced} weight products quantised dynamically")
