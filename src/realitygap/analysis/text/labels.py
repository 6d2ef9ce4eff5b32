"""Label sets: what the tagger can put on a document, each label with a name, a description
and seed phrases, so one piece of code tags touchpoints, layers, senses or any user's categories.

A :class:`LabelSet` is *multi-label* (a document may mention several touchpoints) or
*single-label* (one layer, one sentiment). Zero-shot taggers work from names, descriptions and
seeds; supervised taggers learn the same label ids from examples.
"""

from __future__ import annotations

from dataclasses import dataclass

from realitygap.domain.taxonomy import Sense, Taxonomy


@dataclass(frozen=True)
class Label:
    """One label: ``id`` is stored, ``name``/``description``/``seeds`` drive zero-shot tagging.

    ``fallback`` marks the label given when no other label of the set is found (e.g. SemEval's
    "anecdotes/miscellaneous"). ``exclude`` are phrases in which a seed means something else
    ("return flight" for the seed "return"): each occurrence cancels one seed hit.
    """

    id: str
    name: str
    description: str = ""
    seeds: tuple[str, ...] = ()
    fallback: bool = False
    exclude: tuple[str, ...] = ()

    @property
    def prompt(self) -> str:
        """A sentence describing the label, for embedding similarity."""
        text = f"{self.name}: {self.description}" if self.description else self.name
        return text.rstrip(".") + "."


@dataclass(frozen=True)
class LabelSet:
    """A named set of labels. ``kind`` is what is tagged (touchpoint, sense, layer, aspect...)."""

    kind: str
    labels: tuple[Label, ...]
    multi: bool = True

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(label.id for label in self.labels)

    def label(self, label_id: str) -> Label:
        for label in self.labels:
            if label.id == label_id:
                return label
        raise KeyError(label_id)


SENTIMENTS = ("negative", "neutral", "positive")

# Seed phrases for the senses: the words people use when a sense is involved.
_SENSE_SEEDS: dict[Sense, tuple[str, ...]] = {
    Sense.SEE: (
        "look",
        "looked",
        "see",
        "saw",
        "colour",
        "color",
        "display",
        "screen",
        "photo",
        "picture",
        "view",
        "bright",
        "dark",
        "dirty",
        "tidy",
        "messy",
        "design",
    ),
    Sense.HEAR: (
        "hear",
        "heard",
        "music",
        "noise",
        "noisy",
        "loud",
        "quiet",
        "said",
        "told",
        "voice",
        "sound",
        "listen",
        "shouted",
        "phone call",
    ),
    Sense.TOUCH: (
        "touch",
        "texture",
        "soft",
        "rough",
        "fabric",
        "material",
        "heavy",
        "sticky",
        "smooth",
        "feels cheap",
        "flimsy",
        "comfortable seat",
    ),
    Sense.SMELL: (
        "smell",
        "smelled",
        "smelt",
        "odour",
        "odor",
        "stink",
        "fragrance",
        "scent",
        "aroma",
        "musty",
    ),
    Sense.TASTE: (
        "taste",
        "tasted",
        "tasty",
        "flavour",
        "flavor",
        "delicious",
        "bland",
        "salty",
        "sweet",
        "bitter",
        "food",
        "drink",
        "coffee",
    ),
    Sense.FEEL: (
        "felt",
        "feel",
        "frustrated",
        "angry",
        "happy",
        "welcome",
        "valued",
        "ignored",
        "stressed",
        "disappointed",
        "comfortable",
        "uncomfortable",
        "cold",
        "hot",
    ),
}

_SENSE_DESCRIPTIONS: dict[Sense, str] = {
    Sense.SEE: "What the customer saw: looks, display, cleanliness, screens",
    Sense.HEAR: "What the customer heard: music, noise, what staff said, voices",
    Sense.TOUCH: "What the customer touched: texture, material, weight, comfort of things",
    Sense.SMELL: "What the customer smelled: odours, scents, freshness",
    Sense.TASTE: "What the customer tasted: food and drink flavour",
    Sense.FEEL: "How the customer felt: emotions, comfort, being welcome or ignored",
}

# Hospitality-layer words about people: a complaint with one of these is about staff attitude.
STAFF_WORDS = (
    "staff",
    "employee",
    "assistant",
    "salesperson",
    "cashier",
    "waiter",
    "waitress",
    "manager",
    "agent",
    "representative",
    "rep",
    "driver",
    "crew",
    "attendant",
    "receptionist",
    "host",
    "hostess",
    "server",
    "he",
    "she",
    "they",
    "advisor",
)
ATTITUDE_WORDS = (
    "rude",
    "unfriendly",
    "impolite",
    "arrogant",
    "dismissive",
    "condescending",
    "ignored",
    "ignore",
    "attitude",
    "unhelpful",
    "sarcastic",
    "shouted",
    "yelled",
    "disrespectful",
    "patronising",
    "patronizing",
    "couldn't care less",
    "hostile",
    "snapped",
    "rolled her eyes",
    "rolled his eyes",
    "careless",
    "indifferent",
    # indifference and sullenness, as reviews put it ("crew were surly and inattentive")
    "surly",
    "inattentive",
    "uninterested",
    "disinterested",
    "sullen",
    "grumpy",
    "curt",
    "abrupt",
    "brusque",
    "snooty",
    "offhand",
    "unprofessional",
    "not interested",
    "no interest",
    "made us feel like a nuisance",
    "treated us like",
)


def touchpoint_labels(taxonomy: Taxonomy) -> LabelSet:
    """The taxonomy's touchpoints as a multi-label set (seeds and descriptions from TOML)."""
    return LabelSet(
        "touchpoint",
        tuple(
            Label(
                tp.id, tp.name, tp.description, (tp.name.lower(), *tp.seeds), exclude=tp.not_seeds
            )
            for tp in taxonomy.touchpoints
        ),
    )


def layer_labels(taxonomy: Taxonomy) -> LabelSet:
    """The three layers as a single-label set."""
    return LabelSet(
        "layer",
        tuple(Label(li.id.value, li.id.value, li.description, li.seeds) for li in taxonomy.layers),
        multi=False,
    )


def sense_labels() -> LabelSet:
    """The six senses as a multi-label set."""
    return LabelSet(
        "sense",
        tuple(Label(s.value, s.value, _SENSE_DESCRIPTIONS[s], _SENSE_SEEDS[s]) for s in Sense),
    )
