"""Scores the tagger's touchpoints, senses, layer and staff attitude on real reviews labelled by
hand (tests/data/tag_eval_labels.csv, labelled following docs/text-labelling.md).

    python benchmarks/tag_eval.py            # figures on dev and held-out test, beside targets
    python benchmarks/tag_eval.py --accurate # the same on the accurate path (MiniLM embeddings)
    python benchmarks/tag_eval.py --sample   # the reproducible draw, with texts, for labelling

The draw (seed 17, stratified; realitygap.analysis.text.tag_eval): 160 airline tweets (80
negative, 40 neutral, 40 positive by the dataset's own sentiment label, used for the draw only),
150 clothing reviews (30 per star rating), then 40 tweets by complaint reason and 50 Skytrax
reviews by cabin-staff rating; 400 in all. Each stratum is cut in half at random into ``dev``
(tuning) and ``test`` (held out).
Texts are read from ../shared/data; the repository keeps only dataset, row id and labels.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from realitygap.analysis.text.tag_eval import (  # noqa: E402
    TARGETS,
    evaluate,
    evaluate_staff,
    load_eval_set,
    load_staff_set,
    sample_reviews,
)
from realitygap.analysis.text.tagger import DocumentTagger, TextPath  # noqa: E402
from realitygap.domain.taxonomy import default_taxonomy  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sample", action="store_true", help="print the draw for labelling")
    parser.add_argument("--accurate", action="store_true", help="score the accurate path")
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--labels", type=Path, default=ROOT / "tests/data/tag_eval_labels.csv")
    args = parser.parse_args()
    if args.sample:
        for row in sample_reviews(args.data).itertuples():
            print(f"### {row.dataset} {row.row_id} {row.split}\n{row.text}\n")
        return
    data = load_eval_set(args.labels, args.data)
    path = TextPath.ACCURATE if args.accurate else TextPath.FAST
    tagger = DocumentTagger(default_taxonomy(), path)
    print(f"path: {path.value}, zero-shot, default taxonomy")
    for split in ("dev", "test"):
        part = data[data["split"] == split]
        figures = evaluate(part, tagger)
        print(f"\n== {split}: n={len(part)} reviews")
        for name, (value, low, high) in figures.items():
            target = TARGETS.get(name)
            mark = "" if target is None else f"  target >= {target:.2f}"
            mark += "" if target is None else ("  MET" if value >= target else "  NOT MET")
            print(f"{name:34s} {value:6.3f}  [{low:.3f}, {high:.3f}]{mark}")
    staff = load_staff_set(args.labels.parent / "staff_attitude_labels.csv", args.data)
    print(f"\n== staff draw (held out for staff attitude): n={len(staff)} reviews")
    for name, (value, low, high) in evaluate_staff(staff, tagger).items():
        target = TARGETS.get(name)
        mark = "" if target is None else f"  target >= {target:.2f}"
        mark += "" if target is None else ("  MET" if value >= target else "  NOT MET")
        print(f"{name:34s} {value:6.3f}  [{low:.3f}, {high:.3f}]{mark}")


if __name__ == "__main__":
    main()
