"""The answer pipeline's budgets (issue 23), measured on this machine against references in the same run.

What it prints, each beside its budget:

* engine latency per question, p50 and p99, with the semantic models (one thread) and, as the reference
  in the same run, the lexical engine alone: over every question of the tuning and frozen sets' *texts*
  (real members' wording; nothing is graded here) and the dialogue sets' messages;
* the worst 4,000-character messages (`bench/match.py`'s adversarial inputs);
* `medcoder-bot ask "..."` as a whole process, beside `python -c pass` and a lexical-only process;
* the model files' size, and the resident memory the models and their runtime add to a process that has
  loaded the engine (the bot's own budget, 1.3x a minimal discord.py bot, is `bench/discord_e2e.py`'s).

It never asserts: tests check behaviour, benchmarks report.

    python bench/pipeline.py           # about a minute
    python bench/pipeline.py --quick   # fewer runs
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.core import Engine  # noqa: E402 -- after the sys.path line on purpose
from bot.core.semantic import FILES, MODELS_DIR  # noqa: E402

BUDGET_P50_MS = 25.0
BUDGET_P99_MS = 60.0
BUDGET_WORST_MS = 200.0
BUDGET_ASK_S = 1.0
BUDGET_MODEL_MB = 100.0
BUDGET_MODEL_RSS_MB = 150.0


def questions() -> list[str]:
    """Every question text of the repository's sets and every message of its conversations."""
    texts: list[str] = []
    for path in sorted((ROOT / "eval" / "sets").glob("*.yaml")):
        texts += [item["q"] for item in yaml.safe_load(path.read_text(encoding="utf-8")) or [] if "q" in item]
    for path in sorted((ROOT / "eval" / "dialogues").glob("*.yaml")):
        texts += [turn for item in yaml.safe_load(path.read_text(encoding="utf-8")) for turn in item["turns"]]
    return texts


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def cold(engine: Engine) -> None:
    """Forget remembered readings: every question is timed as a new one (a repeat costs a look-up)."""
    if engine.reading is not None:
        engine.reading.forget()


def latencies(engine: Engine, texts: list[str]) -> list[float]:
    for text in texts[:20]:
        engine.ask(text)  # warm caches, as a running bot's are
    out = []
    gc.disable()
    try:
        for text in texts:
            cold(engine)
            start = time.perf_counter()
            engine.ask(text)
            out.append((time.perf_counter() - start) * 1000)
    finally:
        gc.enable()
    return out


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def process_seconds(args: list[str], runs: int) -> float:
    """The median wall time of a whole process."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(args, capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def verdict(ok: bool) -> str:
    return "meets it" if ok else "OVER BUDGET"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    runs = 3 if args.quick else 7
    texts = questions()
    if args.quick:
        texts = texts[::4]

    base_rss = rss_mb()
    lexical = Engine.load(semantic=False)
    lexical_rss = rss_mb()
    semantic = Engine.load()
    semantic_rss = rss_mb()
    print(f"{len(texts)} questions and messages; models in {MODELS_DIR}")
    print()
    print("| engine | p50 ms | p99 ms | max ms |")
    print("|---|---|---|---|")
    timings = {}
    for name, engine in (("lexical only (reference)", lexical), ("with the semantic models", semantic)):
        found = latencies(engine, texts)
        timings[name] = found
        print(f"| {name} | {percentile(found, 50):.2f} | {percentile(found, 99):.2f} | {max(found):.2f} |")
    found = timings["with the semantic models"]
    p50, p99 = percentile(found, 50), percentile(found, 99)
    print(f"\np50 {p50:.1f} ms (budget {BUDGET_P50_MS:.0f}): {verdict(p50 <= BUDGET_P50_MS)}")
    print(f"p99 {p99:.1f} ms (budget {BUDGET_P99_MS:.0f}): {verdict(p99 <= BUDGET_P99_MS)}")

    sys.path.insert(0, str(ROOT / "bench"))
    from match import worst_case_inputs

    worst = worst_case_inputs(semantic.kb, "pipeline")
    print("\n| worst-case message | chars | ms |")
    print("|---|---|---|")
    slowest = 0.0
    for name, text in worst.items():
        times = []
        for _ in range(runs):
            cold(semantic)
            start = time.perf_counter()
            semantic.ask(text)
            times.append((time.perf_counter() - start) * 1000)
        slowest = max(slowest, *times)
        print(f"| {name} | {len(text):,} | {statistics.median(times):.1f} (max {max(times):.1f}) |")
    print(f"\nworst message {slowest:.1f} ms (budget {BUDGET_WORST_MS:.0f}): {verdict(slowest <= BUDGET_WORST_MS)}")

    exe = str(Path(sys.executable).with_name("medcoder-bot"))
    python = process_seconds([sys.executable, "-c", "pass"], runs)
    ask = process_seconds([exe, "ask", "how much does a CCS earn?"], runs)
    print(f"\n`medcoder-bot ask` one question: {ask:.2f} s (a bare `python -c pass`: {python:.2f} s)")
    print(f"budget {BUDGET_ASK_S:.1f} s: {verdict(ask <= BUDGET_ASK_S)}")

    size = sum((MODELS_DIR / name).stat().st_size for name in FILES) / 1e6
    print(f"\nmodel files: {size:.1f} MB (budget {BUDGET_MODEL_MB:.0f}): {verdict(size <= BUDGET_MODEL_MB)}")
    added = semantic_rss - lexical_rss
    print(
        f"resident memory: interpreter {base_rss:.0f} MB, + lexical engine {lexical_rss - base_rss:.0f} MB, "
        f"+ semantic models and runtime {added:.0f} MB (budget {BUDGET_MODEL_RSS_MB:.0f}): "
        f"{verdict(added <= BUDGET_MODEL_RSS_MB)}"
    )
    print(f"onnxruntime threads for the model: {os.environ.get('OMP_NUM_THREADS', '1 (SessionOptions)')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
