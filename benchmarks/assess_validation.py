"""Honest validation of ``pseudoprog assess`` on the bundled example (Amini 2016 Table 1).

THE MEASUREMENT HISTORIES OF THE EXAMPLE ARE SYNTHETIC. Table 1 of Amini et al. 2016 gives,
for each of the 37 lesions, fractions and the final response; the MRI dates and sizes were
generated (``examples/amini2016/generate.py``) to follow the published protocol and time
course. The final responses are the published ones; everything about timing is made up.

What is replayed: every lesion as of each of its studies after treatment, seeing only the
studies up to that date, with the prior recounted from the other 36 lesions (leave-one-out).
What is scored: the probability of pseudoprogression at the first enlarged scan (the first
study on which the lesion was enlarging and undecided) against the final outcome (OPP = 1,
PD = 0), by Brier score, AUC and a calibration table. The example has no perfusion, isodose or
T2 evidence, so the probability comes from the fractionation prior alone: this validates the
prior and the replay, not the likelihood ratios.

Run: ``.venv/bin/python benchmarks/assess_validation.py [--draws N] [--json FILE]``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from pseudoprog.criteria.amini2016 import assess as classify
from pseudoprog.domain import LesionHistory, ResponseCategory
from pseudoprog.evidence import ModelParameters, assess_lesion, default_table
from pseudoprog.evidence.table import EvidenceTable
from pseudoprog.io.cohort import Cohort, load_cohort

HERE = Path(__file__).resolve().parent
EXAMPLE = HERE.parent / "examples" / "amini2016"

SYNTHETIC = (
    "NOTE: the MRI histories of this example are SYNTHETIC (generated to follow the protocol "
    "and the published time course of Amini 2016); only fractions and final responses are "
    "published (Table 1). These figures check the method on the paper's own 14 enlarging "
    "lesions; they are not a clinical validation."
)


@dataclass(frozen=True)
class Replay:
    """One lesion replayed study by study."""

    lesion_id: str
    fractions: int
    final: ResponseCategory
    studies: int
    first_enlarged: date | None
    first_enlarged_weeks: float | None
    probability: float | None
    ci_low: float | None
    ci_high: float | None
    prior_counts: str
    decided_on: date | None
    decided_weeks_after_enlargement: float | None
    premature: bool


def _study_dates(history: LesionHistory) -> list[date]:
    treated = history.lesion.treatment.date
    return sorted({d for s in history.series.values() for d in s.dates if d > treated})


def replay_lesion(
    history: LesionHistory, cohort: Cohort, table: EvidenceTable, model: ModelParameters
) -> Replay:
    """Replay one lesion as of each of its studies, with a leave-one-out prior."""
    lesion = history.lesion
    prior = table.prior.from_lesions(cohort.lesions, leave_out={lesion.lesion_id})
    loo = table.with_prior(prior)
    final = classify(history).category
    first = None
    decided_on = None
    premature = False
    studies = _study_dates(history)
    for day in studies:
        result = assess_lesion(history, as_of=day, table=loo, model=model)
        if first is None and result.probability is not None:
            first = result
        if result.status in (ResponseCategory.OPP, ResponseCategory.PD):
            decided_on = decided_on or day
            premature |= result.status is not final
    stratum = prior.stratum_for(lesion.treatment.fractions)
    counts = "-" if stratum is None else f"{stratum.pseudoprogression}/{stratum.enlarging}"
    p = None if first is None else first.probability
    first_day = None
    if first is not None and first.assessment.deciding is not None:
        first_day = first.assessment.deciding.first_enlarged_date
    lag = None if decided_on is None or first_day is None else (decided_on - first_day).days / 7.0
    return Replay(
        lesion.lesion_id,
        lesion.treatment.fractions,
        final,
        len(studies),
        first_day,
        None if first is None else first.first_enlarged_weeks,
        None if p is None else p.estimate,
        None if p is None else p.ci_low,
        None if p is None else p.ci_high,
        counts,
        decided_on,
        lag,
        premature,
    )


def brier(pairs: list[tuple[float, int]]) -> float:
    return sum((p - y) ** 2 for p, y in pairs) / len(pairs)


def auc(pairs: list[tuple[float, int]]) -> float:
    """Probability that an OPP lesion scores above a PD lesion (ties count one half)."""
    pos = [p for p, y in pairs if y == 1]
    neg = [p for p, y in pairs if y == 0]
    wins = sum(1.0 if a > b else 0.5 if a == b else 0.0 for a in pos for b in neg)
    return wins / (len(pos) * len(neg))


def calibration(
    pairs: list[tuple[float, int]], edges: tuple[float, ...]
) -> list[dict[str, object]]:
    rows = []
    for low, high in itertools.pairwise(edges):
        inside = [(p, y) for p, y in pairs if low <= p < high or (high == 1.0 and p == 1.0)]
        if not inside:
            continue
        rows.append(
            {
                "bin": f"{low:.1f}-{high:.1f}",
                "lesions": len(inside),
                "mean_predicted": sum(p for p, _ in inside) / len(inside),
                "observed_opp": sum(y for _, y in inside) / len(inside),
                "opp": sum(y for _, y in inside),
            }
        )
    return rows


def baseline_predictions(
    replays: list[Replay], cohort: Cohort, model: ModelParameters
) -> list[tuple[float, int]]:
    """The same leave-one-out Beta posterior mean, ignoring fractionation (one stratum)."""
    out = []
    finals = {x.lesion_id: x.response for x in cohort.lesions}
    for r in replays:
        if r.probability is None:
            continue
        others = [v for k, v in finals.items() if k != r.lesion_id]
        k = sum(v is ResponseCategory.OPP for v in others)
        n = sum(v in (ResponseCategory.OPP, ResponseCategory.PD) for v in others)
        p = (k + model.hyperprior_a) / (n + model.hyperprior_a + model.hyperprior_b)
        out.append((p, int(r.final is ResponseCategory.OPP)))
    return out


def run(cohort: Cohort, *, model: ModelParameters) -> dict[str, object]:
    table = default_table()
    replays = [replay_lesion(h, cohort, table, model) for h in cohort.histories]
    scored = [
        r
        for r in replays
        if r.probability is not None and r.final in (ResponseCategory.OPP, ResponseCategory.PD)
    ]
    pairs = [(float(r.probability or 0.0), int(r.final is ResponseCategory.OPP)) for r in scored]
    base = baseline_predictions(scored, cohort, model)
    return {
        "statement": SYNTHETIC,
        "lesions": len(replays),
        "studies_replayed": sum(r.studies for r in replays),
        "scored": len(scored),
        "opp": sum(y for _, y in pairs),
        "pd": sum(1 - y for _, y in pairs),
        "brier": brier(pairs),
        "auc": auc(pairs),
        "brier_without_fractionation": brier(base),
        "auc_without_fractionation": auc(base),
        "calibration": calibration(pairs, (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)),
        "premature_decisions": [r.lesion_id for r in replays if r.premature],
        "never_scored_enlarging": [
            r.lesion_id
            for r in replays
            if r.final in (ResponseCategory.OPP, ResponseCategory.PD) and r.probability is None
        ],
        "replays": [
            {
                "lesion_id": r.lesion_id,
                "fractions": r.fractions,
                "final": r.final.value,
                "first_enlarged": None
                if r.first_enlarged is None
                else r.first_enlarged.isoformat(),
                "first_enlarged_weeks": r.first_enlarged_weeks,
                "probability": r.probability,
                "ci": None if r.ci_low is None else [r.ci_low, r.ci_high],
                "loo_prior": r.prior_counts,
                "decided_on": None if r.decided_on is None else r.decided_on.isoformat(),
                "weeks_to_decision": r.decided_weeks_after_enlargement,
            }
            for r in replays
            if r.probability is not None
        ],
        "model": model.to_dict(),
    }


def report(results: dict[str, object]) -> str:
    lines = [str(results["statement"]), ""]
    lines.append(
        f"Replayed {results['lesions']} lesions as of each of their {results['studies_replayed']} "
        "follow-up studies, prior recounted leaving the lesion out."
    )
    lines.append(
        f"Scored: {results['scored']} lesions with a probability at the first enlarged scan "
        f"({results['opp']} OPP, {results['pd']} PD at the end)."
    )
    lines.append("")
    lines.append(
        "Lesion      Fx  1st enlarged  P(OPP)  95% interval   LOO prior  Final  Decided after"
    )
    for r in results["replays"]:  # type: ignore[attr-defined]
        ci = r["ci"]
        wait = "-" if r["weeks_to_decision"] is None else f"{r['weeks_to_decision']:.1f} wk"
        lines.append(
            f"{r['lesion_id']:<10}  {r['fractions']:>2}  {r['first_enlarged_weeks']:>8.1f} wk  "
            f"{r['probability']:.3f}   {ci[0]:.2f}-{ci[1]:.2f}      {r['loo_prior']:>5}     "
            f"{r['final']:<4}   {wait}"
        )
    lines.append("")
    lines.append(
        f"Brier score {results['brier']:.3f} (same leave-one-out prior without fractionation: "
        f"{results['brier_without_fractionation']:.3f}; lower is better)"
    )
    lines.append(
        f"AUC {results['auc']:.3f} (without fractionation: "
        f"{results['auc_without_fractionation']:.3f})"
    )
    lines.append(
        "Leaving a lesion out lowers its own stratum's count when it is OPP and raises it when "
        "it is PD, so with few enlarging lesions leave-one-out penalises any prior (see the "
        "LOO prior column); a prior without strata is penalised most."
    )
    lines.append("")
    lines.append("Calibration   lesions  mean predicted  observed OPP")
    for row in results["calibration"]:  # type: ignore[attr-defined]
        lines.append(
            f"{row['bin']:<12}  {row['lesions']:>7}  {row['mean_predicted']:>14.3f}  "
            f"{row['observed_opp']:>12.3f} ({row['opp']}/{row['lesions']})"
        )
    lines.append("")
    premature = results["premature_decisions"]
    lines.append(
        "Decisions that changed later (OPP or PD as of a study, different at the end): "
        + (", ".join(premature) if premature else "none")  # type: ignore[arg-type]
    )
    missing = results["never_scored_enlarging"]
    if missing:
        lines.append("Enlarging lesions never given a probability: " + ", ".join(missing))  # type: ignore[arg-type]
    lines.append("")
    lines.append(SYNTHETIC)
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lesions", type=Path, default=EXAMPLE / "lesions.csv")
    parser.add_argument("--measurements", type=Path, default=EXAMPLE / "measurements.csv")
    parser.add_argument("--events", type=Path, default=EXAMPLE / "events.csv")
    parser.add_argument("--draws", type=int, default=ModelParameters().draws)
    parser.add_argument("--seed", type=int, default=ModelParameters().seed)
    parser.add_argument("--json", type=Path, default=None, help="Also write the results here.")
    args = parser.parse_args(argv)
    cohort = load_cohort(lesions=args.lesions, measurements=args.measurements, events=args.events)
    results = run(cohort, model=ModelParameters(draws=args.draws, seed=args.seed))
    print(report(results))
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
