"""The two small models behind the answer pipeline's semantic stages, run with onnxruntime on one CPU thread.

Why ONNX and int8: the bot must not need torch at run time (hundreds of megabytes, slow to import), and
int8 weights with per-channel scales are a quarter of the size and about twice as fast while keeping
embeddings within ~1% of the full model. Both models are fine-tuned from all-MiniLM-L6-v2 by
`tools/train_reader.py`; `bot/models/README.md` has their provenance, licence and how to rebuild them.

* `embed(texts)`: the encoder's normalised sentence embeddings (dense candidates);
* `read(question, texts)`: the reader's probability that each entry text answers the question.

Entry passages are embedded once per knowledge base: the shipped `passages.npz` holds them for the
knowledge base the models were built for, keyed by each text's hash, so only an edited or new passage is
embedded at load (and `kb check` says when the knowledge base has drifted from the shipped models).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from bot.core.passages import embedded_texts, passages, reader_text

if TYPE_CHECKING:
    from bot.core.knowledge import KnowledgeBase

MODELS_DIR = Path(__file__).resolve().parents[1] / "models"
FILES = ("encoder.onnx", "reader.onnx", "tokenizer.json", "passages.npz")
EMBED_MAX_TOKENS = 128
THREADS = 1  # the model's share of the machine: one core, whatever else the bot is doing


class ModelFilesError(RuntimeError):
    """The model files are missing or are not the ones the manifest names."""


def passage_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]


def fingerprint(kb: KnowledgeBase) -> str:
    """A hash of every text the models read: it changes exactly when an entry's passages or reader text, or a
    small-talk example, do."""
    digest = hashlib.sha256()
    for text in (*embedded_texts(kb), *(reader_text(entry) for entry in kb)):
        digest.update(text.encode("utf-8") + b"\0")
    return digest.hexdigest()


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_manifest(directory: Path = MODELS_DIR) -> dict[str, Any]:
    path = directory / "manifest.json"
    try:
        manifest: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ModelFilesError(f"{path}: {error}") from error
    return manifest


def verify(directory: Path = MODELS_DIR) -> list[str]:
    """Every model file whose sha256 differs from the manifest's (or that is missing), as one line each."""
    manifest = read_manifest(directory)
    problems = []
    for name, expected in manifest.get("files", {}).items():
        path = directory / name
        if not path.is_file():
            problems.append(f"{path}: missing")
        elif file_sha256(path) != expected:
            problems.append(f"{path}: sha256 differs from manifest.json")
    return problems


@dataclass(frozen=True, slots=True)
class SemanticModels:
    """The loaded encoder and reader, ready to use from any thread (onnxruntime sessions are thread-safe)."""

    encoder: Any  # onnxruntime.InferenceSession
    reader: Any
    single: Any  # tokenizers.Tokenizer for one text
    pairs: Any  # tokenizers.Tokenizer for question + entry text, cut to the reader's length
    max_len: int
    manifest: dict[str, Any]

    @classmethod
    def load(cls, directory: Path = MODELS_DIR) -> SemanticModels:
        """Load the models (about 0.2 s). Their files' sha256 against the manifest is `verify`'s job (the tests
        run it on the shipped files), not every start-up's.

        onnxruntime and tokenizers are imported here, so a front end that never loads the models never
        pays for them.
        """
        import onnxruntime  # noqa: PLC0415  # only a front end that uses the models pays for it
        from tokenizers import Tokenizer  # noqa: PLC0415

        manifest = read_manifest(directory)
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = THREADS
        options.inter_op_num_threads = 1
        options.log_severity_level = 3

        def session(name: str) -> Any:
            path = directory / name
            if not path.is_file():
                raise ModelFilesError(f"{path}: missing")
            return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])

        max_len = int(manifest.get("settings", {}).get("max_len", 64))
        single = Tokenizer.from_file(str(directory / "tokenizer.json"))
        single.enable_truncation(EMBED_MAX_TOKENS)
        single.enable_padding()
        pairs = Tokenizer.from_file(str(directory / "tokenizer.json"))
        pairs.enable_truncation(max_len, strategy="longest_first")
        pairs.enable_padding()
        return cls(session("encoder.onnx"), session("reader.onnx"), single, pairs, max_len, manifest)

    def embed(self, texts: Sequence[str], batch: int = 32) -> np.ndarray:
        """Normalised embeddings, one row per text (float32)."""
        rows = []
        for start in range(0, len(texts), batch):
            encoded = self.single.encode_batch(list(texts[start : start + batch]))
            ids = np.array([e.ids for e in encoded], dtype=np.int64)
            mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
            rows.append(self.encoder.run(None, {"input_ids": ids, "attention_mask": mask})[0])
        return np.concatenate(rows).astype(np.float32) if rows else np.zeros((0, 384), dtype=np.float32)

    def read(self, question: str, texts: Sequence[str]) -> list[float]:
        """The probability that each text answers `question`, in order (together with "none of them", they
        sum to one, when the reader was trained listwise)."""
        if not texts:
            return []
        encoded = self.pairs.encode_batch([(question, text) for text in texts])
        feed = {
            "input_ids": np.array([e.ids for e in encoded], dtype=np.int64),
            "attention_mask": np.array([e.attention_mask for e in encoded], dtype=np.int64),
            "token_type_ids": np.array([e.type_ids for e in encoded], dtype=np.int64),
        }
        logits = self.reader.run(None, feed)[0].reshape(-1).astype(np.float64)
        if self.manifest.get("settings", {}).get("loss") == "pointwise":
            return [float(p) for p in 1.0 / (1.0 + np.exp(-logits))]
        # Trained listwise: the candidates compete with "none of them answers it" (a logit of 0).
        top = max(float(logits.max()), 0.0)
        weights = np.exp(logits - top)
        return [float(p) for p in weights / (weights.sum() + np.exp(-top))]


class PassageIndex:
    """Every passage of every entry as an embedding; an entry's dense score is its best passage's cosine."""

    def __init__(self, models: SemanticModels, kb: KnowledgeBase, directory: Path = MODELS_DIR) -> None:
        texts: list[str] = []
        owners: list[str] = []
        for entry in kb:
            for text in passages(entry):
                texts.append(text)
                owners.append(entry.id)
        self.models = models
        self._cache = cached = _cached_vectors(directory / "passages.npz")
        missing = [t for t in dict.fromkeys(texts) if passage_key(t) not in cached]
        if missing:
            cached.update(zip((passage_key(t) for t in missing), models.embed(missing), strict=True))
        self.owners = owners
        self.vectors = (
            np.stack([cached[passage_key(t)] for t in texts]).astype(np.float32) if texts else np.zeros((0, 384))
        )
        self.embedded_at_load = len(missing)

    def embed_texts(self, texts: list[str]) -> np.ndarray:
        """Embeddings of other texts of the knowledge base (small-talk examples), from the same cache."""
        missing = [t for t in dict.fromkeys(texts) if passage_key(t) not in self._cache]
        if missing:
            self._cache.update(zip((passage_key(t) for t in missing), self.models.embed(missing), strict=True))
            self.embedded_at_load += len(missing)
        return np.stack([self._cache[passage_key(t)] for t in texts]) if texts else np.zeros((0, 384), np.float32)

    def rank(self, vector: np.ndarray, k: int) -> list[tuple[str, float]]:
        """The `k` entries nearest `vector`, best first, with their cosine."""
        scores = self.vectors @ vector
        best: dict[str, float] = {}
        for j in np.argsort(-scores):
            owner = self.owners[int(j)]
            if owner not in best:
                best[owner] = float(scores[j])
                if len(best) >= k:
                    break
        return list(best.items())


def _cached_vectors(path: Path) -> dict[str, np.ndarray]:
    if not path.is_file():
        return {}
    with np.load(path) as data:
        return dict(zip((str(k) for k in data["keys"]), data["vectors"].astype(np.float32), strict=True))


def drifted(kb: KnowledgeBase, directory: Path = MODELS_DIR) -> bool:
    """Whether the shipped models were built for another knowledge base (they still work; retraining helps)."""
    try:
        return read_manifest(directory).get("knowledge_fingerprint") != fingerprint(kb)
    except ModelFilesError:
        return True


def texts_of(kb: KnowledgeBase) -> Iterable[str]:
    return (text for entry in kb for text in passages(entry))
