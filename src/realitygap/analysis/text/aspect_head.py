"""Aspect categories and their polarity from a fine-tuned MiniLM (the accurate path's trained head).

The bundled MiniLM encoder is fine-tuned, with a small head, on a labelled aspect corpus. The
head pools the encoder's token vectors once per category, with a learned query per category
(attention pooling), so each category reads the words that concern it; from the category's
pooled vector it gives one detection logit (is the category present) and one polarity logit
per polarity class (read only for categories that are present). Detection and polarity are
trained together: binary cross-entropy over every (sentence, category) and cross-entropy of
the polarity over the gold (sentence, category) pairs.

Per-category decision thresholds are chosen on a validation part of the training data
(:func:`best_thresholds`); with ``at_least_one`` every sentence keeps its most likely category
when none passes its threshold, as every SemEval-2014 sentence has a category.

Fine-tuning needs torch (the accurate path's dependency). The fitted weights are derived from
the training corpus, so they are written where the caller says (``save``), never shipped: the
SemEval data carry no licence that allows redistributing derived models.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from realitygap.analysis.text.embed import MAX_TOKENS, model_dir, offline


@dataclass(frozen=True)
class HeadSettings:
    """Training settings; every field is saved with the weights."""

    epochs: int = 8
    batch_size: int = 16
    encoder_lr: float = 8e-5
    head_lr: float = 1e-3
    warmup: float = 0.1  # share of steps with a linear learning-rate warm-up
    dropout: float = 0.1
    polarity_weight: float = 1.0  # weight of the polarity loss against detection's
    seed: int = 0


def _torch() -> Any:
    import torch

    return torch


def build_module(n_categories: int, n_polarities: int, dropout: float) -> Any:
    """The encoder (bundled MiniLM weights) with the attention-pooling head."""
    offline()
    torch = _torch()
    from transformers import AutoModel

    class AspectModule(torch.nn.Module):  # type: ignore[misc,name-defined]
        def __init__(self) -> None:
            super().__init__()
            self.encoder = AutoModel.from_pretrained(str(model_dir()), local_files_only=True)
            d = int(self.encoder.config.hidden_size)
            self.queries = torch.nn.Parameter(torch.randn(n_categories, d) * 0.02)
            self.detect_w = torch.nn.Parameter(torch.zeros(n_categories, d))
            self.detect_b = torch.nn.Parameter(torch.zeros(n_categories))
            self.polarity_w = torch.nn.Parameter(torch.zeros(n_categories, d, n_polarities))
            self.polarity_b = torch.nn.Parameter(torch.zeros(n_categories, n_polarities))
            self.dropout = torch.nn.Dropout(dropout)
            self.scale = 1 / math.sqrt(d)

        def forward(self, ids: Any, mask: Any) -> tuple[Any, Any]:
            h = self.encoder(input_ids=ids, attention_mask=mask).last_hidden_state
            scores = torch.einsum("btd,cd->bct", h, self.queries) * self.scale
            scores = scores.masked_fill(mask[:, None, :] == 0, -1e4)
            pooled = torch.einsum("bct,btd->bcd", scores.softmax(-1), h)
            pooled = self.dropout(pooled)
            detect = (pooled * self.detect_w).sum(-1) + self.detect_b
            polarity = torch.einsum("bcd,cdp->bcp", pooled, self.polarity_w) + self.polarity_b
            return detect, polarity

    return AspectModule()


def best_thresholds(y: np.ndarray, p: np.ndarray, at_least_one: bool) -> np.ndarray:
    """Per-category probability thresholds maximising micro F1 on (y, p), one category at a
    time with the others at their current threshold (two sweeps from 0.5)."""
    grid = np.linspace(0.05, 0.95, 37)
    t = np.full(y.shape[1], 0.5)
    for _ in range(2):
        for j in range(y.shape[1]):
            scores = []
            for g in grid:
                t[j] = g
                scores.append(micro_f1(y, decide(p, t, at_least_one)))
            t[j] = grid[int(np.argmax(scores))]
    return t


def decide(p: np.ndarray, thresholds: np.ndarray, at_least_one: bool) -> np.ndarray:
    """Boolean presence: probability at or above threshold; with ``at_least_one`` a row with
    none keeps its category of highest probability over threshold."""
    present = p >= thresholds
    if at_least_one and p.shape[1]:
        none = ~present.any(axis=1)
        present[np.flatnonzero(none), (p - thresholds)[none].argmax(axis=1)] = True
    return present


def micro_f1(gold: np.ndarray, pred: np.ndarray) -> float:
    tp = int((gold & pred).sum())
    return 2 * tp / max(int(gold.sum()) + int(pred.sum()), 1)


@dataclass
class AspectHead:
    """A fitted encoder + head: ``detect`` (probabilities), ``polarity`` (argmax class)."""

    categories: tuple[str, ...]
    polarities: tuple[str, ...]
    settings: HeadSettings
    module: Any
    thresholds: np.ndarray
    at_least_one: bool = True

    @classmethod
    def fit(
        cls,
        texts: Sequence[str],
        y: np.ndarray,
        polarity: np.ndarray,
        categories: Sequence[str],
        polarities: Sequence[str],
        settings: HeadSettings = HeadSettings(),
        validation: tuple[Sequence[str], np.ndarray] | None = None,
        at_least_one: bool = True,
        log: Callable[[str], None] = print,
    ) -> AspectHead:
        """``y``: boolean (n, C) presence; ``polarity``: int (n, C) class index, -1 where the
        category is absent. With ``validation`` (texts, y) the epoch of best validation micro F1
        is kept and the thresholds are chosen there; without it, the last epoch and 0.5."""
        torch = _torch()
        torch.manual_seed(settings.seed)
        rng = np.random.default_rng(settings.seed)
        module = build_module(len(categories), len(polarities), settings.dropout)
        head = cls(tuple(categories), tuple(polarities), settings, module,
                   np.full(len(categories), 0.5), at_least_one)  # fmt: skip
        encoder_params = list(module.encoder.parameters())
        head_params = [p for n, p in module.named_parameters() if not n.startswith("encoder.")]
        optimiser = torch.optim.AdamW(
            [
                {"params": encoder_params, "lr": settings.encoder_lr},
                {"params": head_params, "lr": settings.head_lr, "weight_decay": 0.0},
            ]
        )
        order = np.argsort([len(t) for t in texts], kind="stable")
        batches = [order[i : i + settings.batch_size]
                   for i in range(0, len(order), settings.batch_size)]  # fmt: skip
        total = settings.epochs * len(batches)
        warm = max(1, int(settings.warmup * total))
        schedule = torch.optim.lr_scheduler.LambdaLR(
            optimiser, lambda s: min((s + 1) / warm, max(0.0, (total - s) / (total - warm)))
        )
        y_t = torch.tensor(np.asarray(y, dtype=np.float32))
        pol_t = torch.tensor(np.asarray(polarity, dtype=np.int64))
        best: tuple[float, dict[str, Any], np.ndarray] | None = None
        for epoch in range(settings.epochs):
            module.train()
            start, losses = time.perf_counter(), []
            for b in rng.permutation(len(batches)):
                rows = batches[b]
                enc = _encode([texts[i] for i in rows])
                detect, pol = module(enc["input_ids"], enc["attention_mask"])
                loss = torch.nn.functional.binary_cross_entropy_with_logits(detect, y_t[rows])
                target = pol_t[rows]
                if bool((target >= 0).any()):
                    loss = loss + settings.polarity_weight * torch.nn.functional.cross_entropy(
                        pol[target >= 0], target[target >= 0]
                    )
                optimiser.zero_grad()
                loss.backward()
                torch.nn.utils.clip_grad_norm_(module.parameters(), 1.0)
                optimiser.step()
                schedule.step()
                losses.append(float(loss.detach()))
            message = f"epoch {epoch + 1}: loss {np.mean(losses):.4f}"
            message += f" ({time.perf_counter() - start:.0f} s)"
            if validation is not None:
                p_val = head.detect(validation[0])
                t_val = best_thresholds(validation[1], p_val, at_least_one)
                f1 = micro_f1(validation[1], decide(p_val, t_val, at_least_one))
                message += f", validation micro F1 {f1:.4f}"
                if best is None or f1 > best[0]:
                    state = {k: v.detach().clone() for k, v in module.state_dict().items()}
                    best = (f1, state, t_val)
            log(message)
        if best is not None:
            module.load_state_dict(best[1])
            head.thresholds = best[2]
        module.eval()
        return head

    def _outputs(self, texts: Sequence[str], batch_size: int = 64) -> tuple[np.ndarray, ...]:
        torch = _torch()
        self.module.eval()
        order = np.argsort([len(t) for t in texts], kind="stable")
        detect = np.zeros((len(texts), len(self.categories)), dtype=np.float32)
        polarity = np.zeros((len(texts), len(self.categories), len(self.polarities)), np.float32)
        with torch.inference_mode():
            for i in range(0, len(order), batch_size):
                rows = order[i : i + batch_size]
                enc = _encode([texts[r] for r in rows])
                d, p = self.module(enc["input_ids"], enc["attention_mask"])
                detect[rows] = torch.sigmoid(d).numpy()
                polarity[rows] = p.softmax(-1).numpy()
        return detect, polarity

    def detect(self, texts: Sequence[str]) -> np.ndarray:
        """(n, C) probability that each category is present."""
        return self._outputs(texts)[0]

    def predict(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Boolean presence (n, C) and polarity probabilities (n, C, P) of each category."""
        detect, polarity = self._outputs(texts)
        return decide(detect, self.thresholds, self.at_least_one), polarity

    def save(self, path: Path) -> None:
        torch = _torch()
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        torch.save(
            {
                "categories": self.categories,
                "polarities": self.polarities,
                "settings": self.settings.__dict__,
                "thresholds": self.thresholds.tolist(),
                "at_least_one": self.at_least_one,
                "state": self.module.state_dict(),
            },
            tmp,
        )
        tmp.replace(path)  # another process never reads half a file

    @classmethod
    def load(cls, path: Path) -> AspectHead:
        torch = _torch()
        saved = torch.load(path, map_location="cpu", weights_only=True)
        settings = HeadSettings(**saved["settings"])
        module = build_module(len(saved["categories"]), len(saved["polarities"]), 0.0)
        module.load_state_dict(saved["state"])
        module.eval()
        return cls(tuple(saved["categories"]), tuple(saved["polarities"]), settings, module,
                   np.asarray(saved["thresholds"]), bool(saved["at_least_one"]))  # fmt: skip


@lru_cache(maxsize=1)
def _tokenizer() -> Any:
    offline()
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(model_dir()), local_files_only=True)


def _encode(texts: Sequence[str]) -> Any:
    return _tokenizer()(
        list(texts), truncation=True, max_length=MAX_TOKENS, padding=True, return_tensors="pt"
    )
