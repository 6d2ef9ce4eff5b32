"""Free text: survey comments, reviews and tickets built from planted themes.

Each theme has a pool of paraphrases (some with negation, e.g. "staff were not friendly"),
each paraphrase also in two misspelt variants. A document mentions every theme independently
with probability ``logistic(intercept + slope * loyalty + source shift)``: complaints about
staff attitude are much likelier from detractors, praise from promoters, tickets lean
negative. A document's themes appear in random order, joined by varied connectors; a document
with no theme gets a neutral filler, and some get a generic closing remark.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from realitygap.simulate._common import logistic
from realitygap.simulate.company import KANO_FEATURES

SOURCES = ("survey", "review", "ticket")
TYPO_SHARE = 0.12


@dataclass(frozen=True)
class Theme:
    """A planted theme: where it sits in the taxonomy, its sentiment, and how it is said."""

    theme_id: str
    touchpoint: str
    layer: str
    senses: tuple[str, ...]
    sentiment: str  # "negative" or "positive"
    staff_attitude: bool
    intercept: float  # logit of mentioning the theme at average loyalty
    slope: float  # change of that logit per standard deviation of loyalty
    phrases: tuple[str, ...]


THEMES: tuple[Theme, ...] = (
    Theme("rude_staff", "store_staff", "hospitality", ("hear", "feel"), "negative", True,
          -2.9, -1.3, (
              "the staff were rude", "the staff were not friendly at all",
              "nobody bothered to say hello", "the cashier was really rude to me",
              "the assistant rolled her eyes when I asked a question",
              "staff were unfriendly and acted like I was a nuisance",
              "the salesperson was dismissive and impolite")),
    Theme("friendly_staff", "store_staff", "hospitality", ("see", "hear"), "positive", False,
          -2.2, 0.9, (
              "the staff were lovely", "the assistant was so friendly and welcoming",
              "the team in the shop could not have been nicer",
              "staff greeted me with a smile", "the cashier remembered my name",
              "really helpful and polite employees")),
    Theme("unhelpful_agent", "call_centre", "hospitality", ("hear",), "negative", True,
          -3.1, -1.2, (
              "the agent on the phone was condescending",
              "the customer service rep was not helpful and quite rude",
              "the person I spoke to hung up on me", "the agent had a terrible attitude",
              "customer service did not care about my problem at all")),
    Theme("long_phone_wait", "call_centre", "service", ("hear",), "negative", False,
          -2.6, -0.6, (
              "I was on hold for forty minutes", "the wait on the phone was ridiculous",
              "it took ages to get through to anyone", "nobody answered the phone for an hour",
              "the call centre queue is far too long")),
    Theme("late_delivery", "delivery", "service", ("see",), "negative", False,
          -2.3, -0.7, (
              "my parcel arrived late", "the delivery was a week late",
              "the courier did not turn up on the promised day",
              "delivery took much longer than promised", "still waiting for my order",
              "the parcel was not delivered on time")),
    Theme("fast_delivery", "delivery", "service", ("see",), "positive", False,
          -2.4, 0.6, (
              "delivery was super quick", "my order arrived the next day",
              "the parcel came earlier than expected", "shipping was fast",
              "the delivery was not late at all, really impressed")),
    Theme("billing_error", "billing", "service", ("see",), "negative", False,
          -3.2, -0.5, (
              "I was charged twice", "my invoice was wrong again",
              "they overcharged me on the last bill", "the direct debit took the wrong amount",
              "billing mistakes every month")),
    Theme("app_crash", "app", "service", ("see", "touch"), "negative", False,
          -2.8, -0.5, (
              "the app keeps crashing", "I can not log in to the app",
              "the app froze during checkout", "the latest update broke the app",
              "the app is buggy and slow")),
    Theme("store_atmosphere", "store_ambience", "experience", ("see", "hear", "smell"),
          "positive", False, -2.6, 0.7, (
              "the shop smells amazing", "lovely music and a great atmosphere in store",
              "the store is beautifully decorated", "such a calm and welcoming place",
              "the lighting and decor make it feel special")),
    Theme("great_quality", "product", "experience", ("touch",), "positive", False,
          -2.0, 0.8, (
              "the quality is excellent", "the material feels really premium",
              "it fits perfectly and feels great", "the product is well made and durable",
              "love the product, best I have owned")),
    Theme("overpriced", "pricing", "service", ("feel",), "negative", False,
          -2.1, -0.6, (
              "far too expensive", "overpriced for what you get",
              "prices keep going up", "not worth the money",
              "the cost is much higher than elsewhere")),
    Theme("lovely_packaging", "packaging", "experience", ("see", "touch", "smell"),
          "positive", False, -3.0, 0.5, (
              "the packaging was gorgeous", "unboxing felt like a gift",
              "beautifully wrapped with a handwritten note", "the box was so nicely presented")),
    Theme("returns_hassle", "returns", "service", ("feel",), "negative", False,
          -3.0, -0.6, (
              "returning an item was a nightmare", "I am still waiting for my refund",
              "the return label never arrived", "the exchange process is not easy",
              "sending it back took forever")),
)  # fmt: skip

# Per source, the logit shift of negative and positive themes.
SOURCE_SHIFT = {"survey": (0.0, 0.0), "review": (0.2, 0.2), "ticket": (1.3, -2.0)}
FILLERS = ("nothing to add", "all fine", "ok", "no comment", "n/a", "nothing special")
CLOSING_POSITIVE = ("overall very happy", "keep it up", "will definitely come back", "thanks")
CLOSING_NEGATIVE = ("very disappointed", "I will shop elsewhere", "sort it out", "not impressed")
CONNECTORS = (". ", ". ", "! ", ", and ", "; ", ". Also ", " and ")


def _typo(rng: np.random.Generator, phrase: str) -> str:
    """One misspelling: swap, drop or double a letter inside a word of 4+ letters."""
    words = phrase.split(" ")
    candidates = [i for i, w in enumerate(words) if len(w) >= 4 and w.isalpha()]
    if not candidates:
        return phrase
    i = candidates[int(rng.integers(len(candidates)))]
    w = words[i]
    k = int(rng.integers(1, len(w) - 1))
    kind = int(rng.integers(3))
    if kind == 0:
        w = w[:k] + w[k + 1] + w[k] + w[k + 2 :]
    elif kind == 1:
        w = w[:k] + w[k + 1 :]
    else:
        w = w[:k] + w[k] + w[k:]
    words[i] = w
    return " ".join(words)


@dataclass(frozen=True)
class PhrasePool:
    """Every theme's paraphrases with their misspelt variants, flattened.

    Variant ``v`` (0 clean, 1-2 misspelt) of phrase ``p`` of theme ``t`` sits at
    ``offset[t] + 3 * p + v`` of ``text``.
    """

    text: np.ndarray
    offset: np.ndarray
    size: np.ndarray


def phrase_pool() -> PhrasePool:
    """The phrase pool; misspellings come from a fixed stream, so they are the same always."""
    rng = np.random.default_rng(20240101)
    flat: list[str] = []
    offset, size = [], []
    for theme in THEMES:
        offset.append(len(flat))
        size.append(len(theme.phrases))
        for phrase in theme.phrases:
            flat.extend([phrase, _typo(rng, phrase), _typo(rng, phrase)])
    return PhrasePool(np.array(flat, dtype=object), np.array(offset), np.array(size))


def theme_probabilities(loyalty: np.ndarray, source: str) -> np.ndarray:
    """P(document mentions theme k), shape (documents, themes)."""
    neg_shift, pos_shift = SOURCE_SHIFT[source]
    intercept = np.array(
        [t.intercept + (neg_shift if t.sentiment == "negative" else pos_shift) for t in THEMES]
    )
    slope = np.array([t.slope for t in THEMES])
    return logistic(intercept[None, :] + slope[None, :] * loyalty.astype(np.float64)[:, None])


@dataclass(frozen=True)
class Texts:
    """Generated documents: text per document, which themes it mentions ((documents, themes)
    booleans) and the mean planted probability of each theme over the documents (themes,)."""

    text: np.ndarray
    mentions: np.ndarray
    prevalence: np.ndarray

    def __len__(self) -> int:
        return int(self.mentions.shape[0])

    def without_text(self) -> Texts:
        """The same documents without their texts (their themes and prevalence stay): the
        texts are Python strings, 0.7 GB at 10M customers, and unused once written."""
        return Texts(np.empty(0, dtype=object), self.mentions, self.prevalence)


TEXT_CHUNK = 100_000  # documents written at a time: bounds the (documents, themes) temporaries


def write_texts(
    rng: np.random.Generator, loyalty: np.ndarray, source: str, pool: PhrasePool
) -> Texts:
    """Write one document per author (``loyalty`` per author) for ``source``.

    Authors are written TEXT_CHUNK at a time, drawing from ``rng`` in order, so the result
    depends only on the stream and the authors, and memory only on TEXT_CHUNK.
    """
    texts, mentions = [], []
    total = np.zeros(len(THEMES))
    for start in range(0, max(loyalty.size, 1), TEXT_CHUNK):
        block = loyalty[start : start + TEXT_CHUNK]
        probability = theme_probabilities(block, source)
        total += probability.sum(axis=0)
        text, mentioned = _write_block(rng, block, probability, pool)
        texts.append(text)
        mentions.append(mentioned)
    return Texts(np.concatenate(texts), np.concatenate(mentions), total / max(loyalty.size, 1))


def _write_block(
    rng: np.random.Generator, loyalty: np.ndarray, probability: np.ndarray, pool: PhrasePool
) -> tuple[np.ndarray, np.ndarray]:
    n, k = loyalty.size, len(THEMES)
    mentions = rng.random((n, k)) < probability
    order = np.argsort(rng.random((n, k)), axis=1)
    phrase = np.floor(rng.random((n, k)) * pool.size[None, :]).astype(np.int64)
    variant = np.where(rng.random((n, k)) < TYPO_SHARE, rng.integers(1, 3, (n, k)), 0)
    flat_index = pool.offset[None, :] + 3 * phrase + variant
    connector = np.array(CONNECTORS, dtype=object)
    text = np.full(n, "", dtype=object)
    started = np.zeros(n, dtype=bool)
    for position in range(k):
        theme = order[:, position]
        rows = np.flatnonzero(mentions[np.arange(n), theme])
        if rows.size == 0:
            continue
        piece = pool.text[flat_index[rows, theme[rows]]]
        sep = np.where(started[rows], connector[rng.integers(len(CONNECTORS), size=rows.size)], "")
        text[rows] = text[rows] + sep + piece
        started[rows] = True
    empty = np.flatnonzero(~started)
    text[empty] = np.array(FILLERS, dtype=object)[rng.integers(len(FILLERS), size=empty.size)]
    closing = np.flatnonzero(started & (rng.random(n) < 0.3))
    pool_close = np.where(
        loyalty[closing] >= 0,
        np.array(CLOSING_POSITIVE, dtype=object)[rng.integers(4, size=closing.size)],
        np.array(CLOSING_NEGATIVE, dtype=object)[rng.integers(4, size=closing.size)],
    )
    text[closing] = text[closing] + ". " + pool_close
    series = pd.Series(text, dtype=object)
    capital = rng.random(n) < 0.8  # some people never use capitals
    series = series.where(~capital, series.str[:1].str.upper() + series.str[1:])
    dot = rng.random(n) < 0.7
    series = series.where(~dot, series + ".")
    return series.to_numpy(dtype=object), mentions


# Survey comments that also mention one Kano feature, by the name the Kano analysis looks for
# ("same_day_delivery" -> "same day delivery"). A mention sounds positively surprised with
# WOW_SHARE["A"] while the feature is attractive in the comment's wave, else WOW_SHARE_OTHER:
# when a delighter becomes expected, the "wow" fades from the text.
FEATURE_MENTION_SHARE = 0.3
WOW_SHARE = {"A": 0.6}
WOW_SHARE_OTHER = 0.1
WOW_PHRASES = (
    "wow, the {name} was amazing",
    "the {name} really impressed me",
    "loved the {name}, what a nice surprise",
)
PLAIN_PHRASES = ("the {name} worked as it should", "used the {name} again", "the {name} was fine")


def feature_name(feature: str) -> str:
    return feature.replace("_", " ")


def surprise_share(category: str) -> float:
    """Planted share of a feature's mentions that sound surprised, by its Kano category."""
    return WOW_SHARE.get(category, WOW_SHARE_OTHER)


def add_feature_mentions(rng: np.random.Generator, texts: Texts, wave: np.ndarray) -> Texts:
    """``texts`` (survey comments; ``wave``: each comment's wave index) with a sentence about
    a Kano feature appended to a share FEATURE_MENTION_SHARE of them (see WOW_SHARE)."""
    n = texts.text.size
    rows = np.flatnonzero(rng.random(n) < FEATURE_MENTION_SHARE)
    feature = rng.integers(len(KANO_FEATURES), size=rows.size)
    share = np.array([[surprise_share(c) for c in f.categories] for f in KANO_FEATURES])
    surprised = rng.random(rows.size) < share[feature, wave[rows]]
    phrase = rng.integers(3, size=rows.size)
    text = texts.text.copy()
    for i, row in enumerate(rows):
        pool = WOW_PHRASES if surprised[i] else PLAIN_PHRASES
        sentence = pool[phrase[i]].format(name=feature_name(KANO_FEATURES[feature[i]].feature))
        text[row] = f"{str(text[row]).rstrip('.')}. {sentence[:1].upper()}{sentence[1:]}."
    return Texts(text, texts.mentions, texts.prevalence)
