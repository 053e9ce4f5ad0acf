"""Fuzz the table readers and the commands that read tables, at scale.

Runs the generators of ``tests/fuzz_strategies.py`` (the same ones the test suite runs a few
hundred of):

* 10,000 inputs for each of the four input tables (lesions, measurements, events, evidence),
  of which ``--excel`` (default 1,000) are Excel workbooks and the rest CSV files or raw bytes;
* ``--extra`` (default 10,000) inputs for each other reader of user tables (the evidence table
  of ``--evidence-table``, the ``accuracy`` table, the AIF CSV of ``perfusion fit``, the
  evidence CSV that ``perfusion change`` appends to, the responses and treatment-start tables
  of ``best-response``);
* ``--cli`` (default 3,000) inputs through the commands (classify and assess with every
  registered ``--criteria``, study, accuracy, perfusion fit, perfusion change, best-response),
  in process with typer's test runner.

A Python reader must return a valid result or raise a pseudoprog error; a command must exit
with 0 or 2, print no traceback, print a message when it rejects the input and then write
nothing. The script prints, per reader and per command, the inputs run, how many were
accepted and rejected, and the failures (0 expected), with the elapsed time. Failing inputs are
written to ``--failures DIR`` (default: a temporary folder), one text file each.

Usage: ``python benchmarks/fuzz.py [--per-reader N] [--excel N] [--extra N] [--cli N]
[--jobs N] [--seed N]``. Exit status 1 when any input failed.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import tempfile
import time
import warnings
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

CHUNK = 250  # inputs per task: small enough for both workers to stay busy to the end
CLI_SHARES = {  # of --cli; study writes a report with figures when it accepts, so fewer
    "classify": 0.26,
    "assess": 0.2,
    "study": 0.06,
    "accuracy": 0.12,
    "perfusion-fit": 0.1,
    "perfusion-change": 0.1,
    "best-response": 0.1,
}
EXCEL_CLI_SHARE = 0.06  # of --cli: classify and assess with workbooks


@dataclass(frozen=True)
class Task:
    """``count`` generated inputs of one reader (``api``) or command (``cli``)."""

    mode: str  # "api" or "cli"
    target: str  # the reader or the command
    excel: bool
    count: int
    seed: int


@dataclass
class Tally:
    """What a task (or all the tasks of a row of the report) found."""

    inputs: int = 0
    accepted: int = 0
    rejected: int = 0
    failures: int = 0
    seconds: float = 0.0
    kinds: Counter[str] = field(default_factory=Counter)

    def add(self, other: Tally) -> None:
        self.inputs += other.inputs
        self.accepted += other.accepted
        self.rejected += other.rejected
        self.failures += other.failures
        self.seconds += other.seconds
        self.kinds.update(other.kinds)


def _run_task(task: Task, failures_dir: str) -> tuple[Task, Tally]:
    warnings.simplefilter("ignore")
    from hypothesis import HealthCheck, Phase, given, seed, settings

    from tests import fuzz_strategies as fz

    tally = Tally()
    kit_dir = tempfile.TemporaryDirectory(prefix="fuzz-kit-")
    kit = fz.perfusion_kit(Path(kit_dir.name)) if task.mode == "cli" else None
    strategy = (
        fz.cases(task.target, excel=task.excel)
        if task.mode == "api"
        else fz.cli_cases(task.target, excel=task.excel)
    )

    def record(error: BaseException, described: str) -> None:
        tally.failures += 1
        first = str(error).splitlines()[0] if str(error) else type(error).__name__
        tally.kinds[first[:160]] += 1
        name = f"{task.mode}-{task.target}-{task.seed}-{tally.failures}.txt"
        (Path(failures_dir) / name).write_text(f"{error}\n\n{described}\n", encoding="utf-8")

    @seed(task.seed)
    @settings(
        max_examples=task.count,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def check(case: fz.Case | fz.CliCase) -> None:
        tally.inputs += 1
        with tempfile.TemporaryDirectory(prefix="fuzz-") as folder:
            try:
                if isinstance(case, fz.CliCase):
                    status = fz.run_cli(case, Path(folder), kit).status
                else:
                    status = fz.run_api(case, Path(folder)).status
            except fz.ContractError as error:
                record(error, case.describe())
                return
            except Exception as error:  # the harness itself broke: count it, never hide it
                record(error, f"harness error\n{case.describe()}")
                return
        if status == "accepted":
            tally.accepted += 1
        else:
            tally.rejected += 1

    start = time.perf_counter()
    try:
        check()
    finally:
        kit_dir.cleanup()
    tally.seconds = time.perf_counter() - start
    return task, tally


def _run_task_star(args: tuple[Task, str]) -> tuple[Task, Tally]:
    return _run_task(*args)


def plan(args: argparse.Namespace) -> list[Task]:
    """Split the work into tasks of at most :data:`CHUNK` inputs, each with its own seed."""
    from tests.fuzz_strategies import CLI_COMMANDS, EXTRA_READERS, READERS

    wanted: list[tuple[str, str, bool, int]] = []
    for reader in READERS:
        wanted.append(("api", reader, False, args.per_reader - args.excel))
        wanted.append(("api", reader, True, args.excel))
    for reader in EXTRA_READERS:
        wanted.append(("api", reader, False, args.extra))
    for command in CLI_COMMANDS:
        wanted.append(("cli", command, False, round(args.cli * CLI_SHARES[command])))
    for command in ("classify", "assess"):
        wanted.append(("cli", command, True, round(args.cli * EXCEL_CLI_SHARE / 2)))
    tasks = []
    next_seed = args.seed
    for mode, target, excel, total in wanted:
        left = total
        while left > 0:
            count = min(CHUNK, left)
            tasks.append(Task(mode, target, excel, count, next_seed))
            next_seed += 1
            left -= count
    # the slow ones first, so that the two workers finish together
    slow = {("api", True), ("cli", False), ("cli", True)}
    return sorted(tasks, key=lambda t: (t.mode, t.excel) not in slow)


def report(results: list[tuple[Task, Tally]], elapsed: float, jobs: int) -> int:
    rows: dict[tuple[str, str, str], Tally] = {}
    for task, tally in results:
        fmt = "Excel" if task.excel else "CSV"
        rows.setdefault((task.mode, task.target, fmt), Tally()).add(tally)
        rows.setdefault((task.mode, task.target, "total"), Tally()).add(tally)
    total = Tally()
    for _, tally in results:
        total.add(tally)
    head = f"{'':4}{'reader / command':<20}{'format':<8}{'inputs':>8}{'accepted':>10}"
    head += f"{'rejected':>10}{'failures':>10}{'cpu s':>9}"
    print(head)
    from tests.fuzz_strategies import CLI_COMMANDS, EXTRA_READERS, READERS

    order = [("api", r) for r in (*READERS, *EXTRA_READERS)] + [("cli", c) for c in CLI_COMMANDS]
    for mode, target in order:
        formats = [f for f in ("CSV", "Excel", "total") if (mode, target, f) in rows]
        if formats == ["CSV", "total"]:
            formats = ["CSV"]
        for fmt in formats:
            t = rows[(mode, target, fmt)]
            label = "API" if mode == "api" else "CLI"
            name = target if fmt != "total" else ""
            print(
                f"{label:<4}{name:<20}{fmt:<8}{t.inputs:>8,}{t.accepted:>10,}"
                f"{t.rejected:>10,}{t.failures:>10,}{t.seconds:>9.0f}"
            )
    print(
        f"\n{total.inputs:,} inputs: {total.accepted:,} accepted, {total.rejected:,} rejected "
        f"(exit 2 through the commands), {total.failures:,} failures"
    )
    print(f"elapsed {elapsed:.0f} s on {jobs} worker process(es), {os.cpu_count()} cores")
    if total.kinds:
        print("\nFailures:")
        for kind, count in total.kinds.most_common():
            print(f"  {count} x {kind}")
    return 1 if total.failures else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-reader", type=int, default=10_000, help="inputs per input table")
    parser.add_argument("--excel", type=int, default=1_000, help="of which Excel workbooks")
    parser.add_argument("--extra", type=int, default=10_000, help="inputs per other reader")
    parser.add_argument("--cli", type=int, default=3_000, help="inputs through the commands")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="worker processes")
    parser.add_argument("--seed", type=int, default=1, help="seed of the first task")
    parser.add_argument("--failures", type=Path, default=None, help="folder for failing inputs")
    args = parser.parse_args(argv)
    if not 0 <= args.excel <= args.per_reader:
        parser.error("--excel must lie between 0 and --per-reader")
    failures_dir = args.failures or Path(tempfile.mkdtemp(prefix="fuzz-failures-"))
    failures_dir.mkdir(parents=True, exist_ok=True)
    tasks = plan(args)
    print(
        f"Fuzzing: {len(tasks)} tasks of up to {CHUNK} inputs on {args.jobs} worker process(es); "
        f"failing inputs go to {failures_dir}",
        flush=True,
    )
    start = time.perf_counter()
    results: list[tuple[Task, Tally]] = []
    work = [(task, str(failures_dir)) for task in tasks]
    if args.jobs == 1:
        results = [_run_task_star(item) for item in work]
    else:
        with multiprocessing.get_context("spawn").Pool(args.jobs) as pool:
            for done, result in enumerate(pool.imap_unordered(_run_task_star, work), start=1):
                results.append(result)
                if done % 20 == 0:
                    print(f"  {done}/{len(tasks)} tasks", flush=True)
    return report(results, time.perf_counter() - start, args.jobs)


if __name__ == "__main__":
    sys.exit(main())
