"""`medcoder-bot salary`: the chart written from the terminal, through a real subprocess, and its exit codes."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from bot.cli import build_parser
from bot.core import Engine
from bot.core.charts import SALARY_VIEWS, chart_entry, plan_salary_chart, render_salary_chart
from tests.test_cli import run  # the same subprocess runner: the CLI as a user starts it

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(("args", "view"), [(("--view", "sector"), "sector"), ((), "position")])
def test_salary_chart_writes_the_bots_png(tmp_path: Path, args: tuple[str, ...], view: str) -> None:
    out = tmp_path / "out.png"
    result = run("salary", "--chart", "out.png", *args, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert str(out.name) in result.stdout and view in result.stdout
    data = out.read_bytes()
    image = Image.open(io.BytesIO(data))
    entry = chart_entry(Engine.load(), view)
    assert image.format == "PNG" and image.size == (1000, plan_salary_chart(entry).height)
    assert data == render_salary_chart(entry)  # byte for byte what /salary attaches


def test_salary_without_chart_prints_the_text_with_its_source() -> None:
    result = run("salary", "--view", "sector")
    assert result.returncode == 0, result.stderr
    assert "$47,040" in result.stdout and "Source:" in result.stdout and "-# " not in result.stdout


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("salary", "--chart", "{dir}/missing/out.png"), 1, "cannot write"),
        (("salary", "--chart", "{dir}"), 2, "has no .png, .jpg or .jpeg suffix"),
        (("salary", "--chart", "{dir}/x.png", "--view", "states"), 2, "has no chart"),
        (("salary", "--view", "yearly"), 2, "invalid choice"),
        (("salary", "--chart"), 2, "expected one argument"),
    ],
)
def test_salary_errors_are_one_clear_line(tmp_path: Path, args: tuple[str, ...], code: int, message: str) -> None:
    result = run(*(arg.format(dir=tmp_path) for arg in args))
    assert result.returncode == code, result
    assert message in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
    if code == 1:
        assert len(result.stderr.strip().splitlines()) == 1


def test_view_choices_match_the_salary_views() -> None:
    parser = build_parser()
    salary = parser._subparsers._group_actions[0].choices["salary"]  # type: ignore[union-attr]
    (view,) = [action for action in salary._actions if action.dest == "view"]
    assert list(view.choices) == list(SALARY_VIEWS)


def test_the_cli_imports_pillow_only_for_the_salary_command() -> None:
    code = "import sys, bot.cli; print('PIL' in sys.modules)"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False)
    assert result.stdout.strip() == "False", result.stderr


def test_a_jpg_chart_is_a_real_jpeg(tmp_path: Path) -> None:
    target = tmp_path / "pay.jpg"
    result = run("salary", "--view", "sector", "--chart", str(target))
    assert result.returncode == 0, result.stderr
    assert target.read_bytes()[:3] == b"\xff\xd8\xff"  # the JPEG signature, not PNG bytes under a .jpg name
    assert "(JPEG," in result.stdout


def test_a_chart_in_another_format_is_refused_clearly(tmp_path: Path) -> None:
    result = run("salary", "--chart", str(tmp_path / "pay.gif"))
    assert result.returncode == 2 and not (tmp_path / "pay.gif").exists()
    assert "give a .png, .jpg or .jpeg name" in result.stderr and "Traceback" not in result.stderr


def test_a_chart_name_without_a_suffix_is_refused_not_written_as_png(tmp_path: Path) -> None:
    result = run("salary", "--chart", str(tmp_path / "out"))
    assert result.returncode == 2 and not (tmp_path / "out").exists()
    assert "has no .png, .jpg or .jpeg suffix" in result.stderr and "Traceback" not in result.stderr


def test_a_chart_name_that_is_a_directory_cannot_be_written(tmp_path: Path) -> None:
    (tmp_path / "chart.png").mkdir()
    result = run("salary", "--chart", str(tmp_path / "chart.png"))
    assert result.returncode == 1 and "cannot write" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
