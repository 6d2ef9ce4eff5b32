"""Label sets: what the tagger can put on a document, each label with a name, a description
and seed phrases, so one piece of code tags touchpoints, layers, senses or any user's categories.

A :class:`LabelSet` is *multi-label* (a document may mention several touchpoints) or
*single-label* (one layer, one sentiment). Zero-shot taggers work from names, descriptions and
seeds; supervised taggers learn the same label ids from examples.
"""

from __future__ import annotations

import re
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

# Seed phrases for the senses: words that report a perception (or, for feel, an emotion), not
# words that merely occur near one. Chosen by reading the development half of the tag
# evaluation set (docs/text-labelling.md): "told"/"said" are reported speech, not hearing;
# "feel"/"felt" mostly introduce an opinion ("I feel it runs small") or a texture (touch);
# "food"/"drink" name things without tasting them; "fabric"/"material" name the product.
_SENSE_SEEDS: dict[Sense, tuple[str, ...]] = {
    Sense.SEE: (
        "look",
        "looked",
        "looks",
        "colour",
        "color",
        "display",
        "photo",
        "picture",
        "pictured",
        "in person",
        "view",
        "bright",
        "vibrant",
        "dull",
        "garish",
        "dark",
        "dirty",
        "tidy",
        "messy",
        "pretty",
        "flattering",
        "unflattering",
        "pattern",
        "print",
        "see through",
        "see-thru",
        "see thru",
        "sheer",
        "ugly",
        "gorgeous",
        "beautiful color",
        "beautiful colour",
        "design",
    ),
    Sense.HEAR: (
        "hear",
        "heard",
        "music",
        "noise",
        "noisy",
        "loud",
        "loudly",
        "quiet",
        "voice",
        "sound",
        "shouted",
        "yelled",
        "screaming",
        "crying",
        "announcement",
        "guffaw",
        "tone",
    ),
    Sense.TOUCH: (
        "touch",
        "texture",
        "soft",
        "rough",
        "itchy",
        "scratchy",
        "coarse",
        "stiff",
        "silky",
        "smooth",
        "heavy",
        "lightweight",
        "thin",
        "thick",
        "sticky",
        "snug",
        "tight",
        "comfy",
        "comfortable",
        "uncomfortable",
        "feels cheap",
        "cheap feeling",
        "flimsy",
        "legroom",
        "leg room",
        "cramped",
    ),
    Sense.SMELL: (
        "smell",
        "smelled",
        "smelt",
        "smells",
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
        "tasteless",
        "flavour",
        "flavor",
        "delicious",
        "bland",
        "salty",
        "bitter",
        "food was",
        "meal was",
        "good food",
        "great food",
        "food good",
        "food poor",
        "food very poor",
        "poor food",
        "catering",
        "restaurant quality",
        "wines",
    ),
    Sense.FEEL: (
        "frustrated",
        "frustrating",
        "frustration",
        "angry",
        "furious",
        "upset",
        "annoyed",
        "happy",
        "happily",
        "glad",
        "excited",
        "relieved",
        "sad",
        "bummed",
        "heartbroken",
        "shocked",
        "horrified",
        "concerned",
        "worried",
        "stress",
        "stressed",
        "disappointed",
        "disappointing",
        "disappointment",
        "valued",
        "ignored",
        "made me feel",
        "made to feel",
        "felt welcome",
        "feel welcome",
        "feel trapped",
        "felt like a",
    ),
}
# phrases in which a sense's seed means something else (each cancels one seed hit)
_SENSE_EXCLUDE: dict[Sense, tuple[str, ...]] = {
    Sense.SEE: ("look it up", "looking into", "looking for", "look forward", "looking forward",
                "looks like we", "looks like i", "looking at the reviews"),
    Sense.HEAR: ("heard about", "heard that", "heard of", "heard back", "quiet holiday",
                 "sounds like", "sound like", "sounds good", "sounds great", "sounds lovely"),
    Sense.TOUCH: ("soft views", "soft color", "soft colour", "thin crowd"),
    Sense.SMELL: (),
    Sense.TASTE: (),
    Sense.FEEL: ("happy to", "happy birthday", "happy hour"),
}  # fmt: skip

_SENSE_DESCRIPTIONS: dict[Sense, str] = {
    Sense.SEE: "What the customer saw: looks, display, cleanliness, screens",
    Sense.HEAR: "What the customer heard: music, noise, what staff said, voices",
    Sense.TOUCH: "What the customer touched: texture, material, weight, comfort of things",
    Sense.SMELL: "What the customer smelled: odours, scents, freshness",
    Sense.TASTE: "What the customer tasted: food and drink flavour",
    Sense.FEEL: "How the customer felt: emotions, comfort, being welcome or ignored",
}

# Words for the people who serve customers: a context word ("ignored", "attitude") is about staff
# attitude only when one of these is in the same review.
STAFF_WORDS = (
    "staff", "employee", "assistant", "salesperson", "cashier", "waiter", "waitress", "manager",
    "agent", "representative", "rep", "driver", "crew", "attendant", "steward", "stewardess",
    "purser", "receptionist", "host", "hostess", "server", "he", "she", "advisor", "personnel",
    "guy", "lady", "woman", "man", "pilot", "fa", "fas", "fa's", "desk",
)  # fmt: skip
# Words that criticise how staff treat customers by themselves ("the crew were surly and
# inattentive"); a negator just before one ("not rude", "never rude") cancels it.
ATTITUDE_WORDS = (
    "rude", "rudest", "rudely", "rudeness", "unfriendly", "not friendly", "impolite",
    "arrogant", "dismissive", "condescending", "sarcastic", "shouted", "yelled",
    "disrespectful", "patronising", "patronizing", "couldn't care less", "hostile", "snapped",
    "rolled her eyes", "rolled his eyes", "indifferent", "surly", "inattentive",
    "uninterested", "disinterested", "sullen", "grumpy", "grouchy", "cranky", "curt", "abrupt",
    "brusque", "snooty", "offhand", "unprofessional", "racist", "abusive", "abused",
    "threatened", "made us feel like a nuisance", "treated us like", "treated me like",
    "thought i was dumb", "thought i was stupid", "talked down", "no one cared",
    "nobody cared", "didn't care", "did not care", "bad attitude", "terrible attitude",
    "poor attitude", "attitude problem", "gives customers attitude", "gave me attitude",
    "gave us attitude", "demotivated", "not service with a smile", "like cattle",
    "laughed at us", "laughed at me", "mocked", "belittled", "talked down to", "screamed at",
    "yelling", "scolded", "discourteous", "impatient", "snarky", "no courtesy",
    # a smile denied is about a person by itself ("smiles were limited")
    "no smile", "no smiles", "smiles were limited", "never smiled", "without a smile",
    "not a smile", "didn't smile", "did not smile",
)  # fmt: skip
_NEGATORS = ("not", "never", "wasn't", "weren't", "isn't", "aren't", "no", "nothing", "without")
ATTITUDE_NEGATED = tuple(
    f"{n} {w}" for n in _NEGATORS for w in ATTITUDE_WORDS if len(w.split()) == 1
)
# Words that criticise staff only when said about a person ("the agent ignored me" but not "my
# e-mail was ignored"; "lack of information was unhelpful"). Those of the first list are
# negative by construction, so they need no clause tone: VADER reads the negated or qualified
# praise in "did not bother", "no apology" as positive.
ATTITUDE_CONTEXT_WORDS = (
    "unhelpful", "careless", "not interested", "no interest", "no apology", "no apologies",
    "never returned", "didn't bother", "did not bother", "couldn't be bothered",
    "could not be bothered", "blaming", "runaround", "wouldn't acknowledge",
    "would not acknowledge", "nasty",
)  # fmt: skip
# the customer's own "bother" is not staff's ("I didn't bother with the films", "the delay did
# not bother me")
ATTITUDE_CONTEXT_EXCLUDED = tuple(
    phrase
    for verb in ("didn't bother", "did not bother")
    for phrase in (f"i {verb}", f"we {verb}", f"{verb} me", f"{verb} us", f"{verb} with")
)
# ... and those that also need a clause that is not praise ("great attitude", "ignore the
# reviews, the crew were lovely")
ATTITUDE_TONE_WORDS = ("ignored", "ignore", "ignoring", "attitude", "disappear")
# "attitude" needs no person in a clause that is not praise: said to a company, it means its
# people ("again attitude when asked for information"); a product's style is excluded ("a jacket
# with attitude", "ladylike with a little attitude")
ATTITUDE_ALONE = ("attitude",)
ATTITUDE_STYLE = (
    "with attitude", "little attitude", "bit of attitude", "has attitude", "have attitude",
    "got attitude", "some attitude", "of attitude", "attitude toward this", "attitude towards this",
)  # fmt: skip
# Praise denied and hostile treatment: staff criticism when the same clause names a person
# ("the agent was not helpful", but not "no help yourself drinks" or "the seat is not nice")
STAFF_DENIED_WORDS = (
    # praise denied ("the agent was not helpful", "crew weren't very friendly")
    "not helpful", "not very helpful", "wasn't helpful", "weren't helpful", "not at all helpful",
    "less than helpful", "far from helpful", "not the most helpful", "no help", "zero help",
    "not very friendly", "wasn't friendly", "weren't friendly", "not particularly friendly",
    "far from friendly", "not the friendliest", "not polite", "not very polite", "not courteous",
    "not welcoming", "not attentive", "not very attentive", "not apologetic", "not nice",
    "not very nice",
    # hostile treatment that is not an attitude word ("spends 20 minutes beating up a lady
    # about her bag fees", "I get some bs from a guy at the door")
    "berated", "berating", "lectured", "harassed", "hassled", "bullied", "humiliated",
    "interrogated", "beating up", "chewed out", "barked", "bs from", "crap from", "grief from",
)  # fmt: skip
# Phrases that ask for better staff ("these attendants need some happiness", "their attitude
# towards passengers needs to be improved"): staff criticism when the same clause names a
# person or an attitude word
STAFF_IMPROVE_WORDS = (
    "need some", "needs some", "need to learn", "needs to learn", "need training",
    "needs training", "need more training", "needs more training", "need retraining",
    "needs retraining", "need to be retrained", "needs to be retrained", "need to be trained",
    "needs to be trained", "should be trained", "need to smile", "needs to smile",
    "need a lesson", "need lessons", "need to be improved", "needs to be improved",
    "need to improve", "needs to improve", "needs improvement", "need improvement",
    "should be fired", "need to be fired", "needs to be fired", "should learn",
)  # fmt: skip


def _words(phrase: str) -> list[str]:
    return re.findall(r"[\w']+", phrase.lower())


def _holds_seed(phrase: str, seeds: tuple[str, ...]) -> bool:
    """Whether ``phrase`` contains a seed (its last word possibly inflected: "flights")."""
    words = _words(phrase)
    for seed in seeds:
        sw = _words(seed)
        n = len(sw)
        for i in range(len(words) - n + 1):
            window = words[i : i + n]
            if window[:-1] == sw[:-1] and window[-1].startswith(sw[-1].rstrip("e")):
                return True
    return False


def _relevant(exclude: tuple[str, ...], seeds: tuple[str, ...]) -> tuple[str, ...]:
    """The excluded phrases that hold a seed: one without ("return journey" once "return" is no
    longer a seed) would cancel a hit of an unrelated seed ("refund") in the same text."""
    return tuple(p for p in exclude if _holds_seed(p, seeds))


def touchpoint_labels(taxonomy: Taxonomy) -> LabelSet:
    """The taxonomy's touchpoints as a multi-label set (seeds and descriptions from TOML)."""
    return LabelSet(
        "touchpoint",
        tuple(
            Label(
                tp.id,
                tp.name,
                tp.description,
                (tp.name.lower(), *tp.seeds),
                exclude=_relevant(tp.not_seeds, (tp.name.lower(), *tp.seeds)),
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
        tuple(
            Label(
                s.value,
                s.value,
                _SENSE_DESCRIPTIONS[s],
                _SENSE_SEEDS[s],
                exclude=_relevant(_SENSE_EXCLUDE[s], _SENSE_SEEDS[s]),
            )
            for s in Sense
        ),
    )
