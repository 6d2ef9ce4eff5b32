"""Fine-tunes the accurate path's aspect head (realitygap.analysis.text.aspect_head) on
SemEval-2014 Task 4 restaurants and scores it once on the official test gold.

Held-out discipline: the official training file only is used to fit and choose. It is split
90/10 at random (seed 0); the model is trained on the 90%, and the epoch and the per-category
thresholds are the ones of best micro F1 on the 10%. The test gold is read once, after the
model is fixed, for category detection micro F1 (the 2014 task's measure) and polarity
accuracy over the gold categories (4 classes, conflict included), each with a 95% bootstrap
interval over test sentences (2,000 resamples, seed 0).

The weights are derived from SemEval data (licence not stated; research and evaluation use,
see ../shared/data/absa-restaurants/SOURCE.md), so they are written to a local cache
(``--out``, default ``/tmp/realitygap-semeval/aspect_head.pt``), never into the package.

Run: ``.venv/bin/python benchmarks/train_semeval_head.py [--epochs N] [--out FILE]``
(``--no-test``: train and validate only; ``--score FILE``: score a saved head on test).
One CPU thread (the machine is shared): 2-8 minutes per epoch depending on load.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from realitygap.analysis.text.aspect_head import AspectHead, HeadSettings, micro_f1
from realitygap.analysis.text.corpora import AbsaSentence, read_absa_xml
from realitygap.analysis.text.reference_labels import semeval2014_categories

DATA = Path(
    os.environ.get(
        "REALITYGAP_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"
    )
)
ABSA = DATA / "absa-restaurants"
POLARITIES = ("positive", "negative", "neutral", "conflict")
OUT = Path("/tmp/realitygap-semeval/aspect_head.pt")
VALIDATION_SHARE = 0.1
BOOTSTRAP = 2000


def targets(
    sentences: list[AbsaSentence], categories: tuple[str, ...]
) -> tuple[np.ndarray, np.ndarray]:
    """Boolean presence (n, C) and polarity index (n, C), -1 where absent."""
    index = {c: j for j, c in enumerate(categories)}
    y = np.zeros((len(sentences), len(categories)), dtype=bool)
    pol = np.full((len(sentences), len(categories)), -1, dtype=np.int64)
    for i, s in enumerate(sentences):
        for c, p in s.aspects:
            y[i, index[c]] = True
            pol[i, index[c]] = POLARITIES.index(p)
    return y, pol


def bootstrap(stat: Callable[[np.ndarray], float], n: int, seed: int = 0) -> tuple[float, float]:
    """95% percentile interval of ``stat`` over resampled test sentences."""
    rng = np.random.default_rng(seed)
    values = [stat(rng.integers(0, n, n)) for _ in range(BOOTSTRAP)]
    return float(np.quantile(values, 0.025)), float(np.quantile(values, 0.975))


def score(head: AspectHead, test: list[AbsaSentence]) -> dict[str, float]:
    texts = [s.text for s in test]
    y, pol = targets(test, head.categories)
    start = time.process_time()
    present, proba = head.predict(texts)
    cpu = time.process_time() - start
    predicted = proba.argmax(-1)
    gold_pairs = pol >= 0
    hit = (predicted == pol) & gold_pairs

    def f1(rows: np.ndarray) -> float:
        return micro_f1(y[rows], present[rows])

    def accuracy(rows: np.ndarray) -> float:
        return float(hit[rows].sum() / max(gold_pairs[rows].sum(), 1))

    all_rows = np.arange(len(test))
    f1_low, f1_high = bootstrap(f1, len(test))
    acc_low, acc_high = bootstrap(accuracy, len(test))
    return {
        "detection_f1": f1(all_rows),
        "detection_f1_low": f1_low,
        "detection_f1_high": f1_high,
        "polarity_accuracy": accuracy(all_rows),
        "polarity_accuracy_low": acc_low,
        "polarity_accuracy_high": acc_high,
        "test_sentences": float(len(test)),
        "test_pairs": float(gold_pairs.sum()),
        "sentences_per_cpu_second": len(test) / cpu,
    }


def split_train(train: list[AbsaSentence]) -> tuple[list[AbsaSentence], list[AbsaSentence]]:
    """The fixed 90/10 split of the official training file (seed 0): fit, validation."""
    rng = np.random.default_rng(0)
    chosen = rng.choice(len(train), int(VALIDATION_SHARE * len(train)), replace=False)
    validation_rows = set(chosen.tolist())
    fit = [s for i, s in enumerate(train) if i not in validation_rows]
    val = [s for i, s in enumerate(train) if i in validation_rows]
    return fit, val


def train_head(settings: HeadSettings, out: Path) -> AspectHead:
    """Fits on the 90%, chooses epoch and thresholds on the 10%, saves to ``out``."""
    import torch

    torch.set_num_threads(1)  # the machine is shared
    categories = semeval2014_categories().ids
    fit, val = split_train(read_absa_xml(ABSA / "semeval2014_restaurants_train.xml"))
    y_fit, pol_fit = targets(fit, categories)
    y_val, _ = targets(val, categories)
    print(f"train {len(fit)} sentences, validation {len(val)}; {settings}", flush=True)
    head = AspectHead.fit(
        [s.text for s in fit], y_fit, pol_fit, categories, POLARITIES, settings,
        validation=([s.text for s in val], y_val),
        log=lambda m: print(m, flush=True),
    )  # fmt: skip
    head.save(out)
    print(f"saved {out} ({out.stat().st_size / 1e6:.1f} MB)")
    print("thresholds", dict(zip(categories, np.round(head.thresholds, 3).tolist(), strict=True)))
    return head


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--epochs", type=int, default=HeadSettings().epochs)
    parser.add_argument("--encoder-lr", type=float, default=HeadSettings().encoder_lr)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--no-test", action="store_true", help="train and validate only")
    parser.add_argument("--score", type=Path, help="score a saved head on test, no training")
    args = parser.parse_args(argv)
    if args.score:
        import torch

        torch.set_num_threads(1)
        head = AspectHead.load(args.score)
    else:
        settings = HeadSettings(epochs=args.epochs, encoder_lr=args.encoder_lr)
        head = train_head(settings, args.out)
    if args.no_test:
        return 0
    test = read_absa_xml(ABSA / "semeval2014_restaurants_test_gold.xml")
    print(json.dumps(score(head, test), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
