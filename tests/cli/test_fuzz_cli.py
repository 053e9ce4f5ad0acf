"""Fuzzed tables through every command that reads them: exit 0 or 2, never a traceback.

On exit 2 a message is printed and nothing is written: the ``--output`` path does not exist
afterwards and no temporary file is left beside it (``perfusion change`` leaves its table as
it was). See ``tests/fuzz_strategies.py`` for the inputs.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.fuzz_strategies import (
    CLI_COMMANDS,
    CliCase,
    PerfusionKit,
    cli_arguments,
    cli_cases,
    perfusion_kit,
    run_cli,
)

FUZZ = settings.get_profile("fuzz")
EXAMPLES = {
    "classify": 30,
    "study": 10,
    "assess": 20,
    "accuracy": 15,
    "perfusion-fit": 15,
    "perfusion-change": 15,
    "best-response": 15,
}


@pytest.fixture(scope="module")
def kit(tmp_path_factory: pytest.TempPathFactory) -> PerfusionKit:
    return perfusion_kit(tmp_path_factory.mktemp("perfusion-kit"))


@pytest.mark.parametrize("command", list(CLI_COMMANDS))
def test_commands(command: str, kit: PerfusionKit) -> None:
    @settings(FUZZ, max_examples=EXAMPLES[command])
    @given(cli_cases(command))
    def check(cli_case: CliCase) -> None:
        with tempfile.TemporaryDirectory(prefix="fuzz-") as folder:
            run_cli(cli_case, Path(folder), kit)

    check()


@pytest.mark.parametrize("command", ["classify", "assess"])
def test_commands_with_workbooks(command: str, kit: PerfusionKit) -> None:
    @settings(FUZZ, max_examples=6)
    @given(cli_cases(command, excel=True))
    def check(cli_case: CliCase) -> None:
        with tempfile.TemporaryDirectory(prefix="fuzz-") as folder:
            run_cli(cli_case, Path(folder), kit)

    check()


@settings(FUZZ, max_examples=3)
@given(cli_case=cli_cases("classify"), format_=st.sampled_from(["json", "csv"]))
def test_real_command(cli_case: CliCase, format_: str) -> None:
    """A few cases through the installed ``pseudoprog`` in a subprocess, as a user runs it."""
    exe = Path(sys.executable).with_name("pseudoprog")
    with tempfile.TemporaryDirectory(prefix="fuzz-") as folder:
        call = cli_arguments(cli_case, Path(folder), None)
        output = Path(folder) / "out" / "result.out"
        args = [*_without_output(call.args), "--format", format_, "--output", str(output)]
        done = subprocess.run([str(exe), *args], capture_output=True, text=True, check=False)
        text = done.stdout + done.stderr
        assert done.returncode in (0, 2), text
        assert "Traceback" not in text
        if done.returncode == 2:
            assert text.strip()
            assert not any((Path(folder) / "out").iterdir()), text
        else:
            assert output.exists()


def _without_output(args: list[str]) -> list[str]:
    out: list[str] = []
    skip = False
    for arg in args:
        if skip:
            skip = False
        elif arg in ("--output", "--format"):
            skip = True
        else:
            out.append(arg)
    return out
