"""The example company's question bank: rated items, NPS, comment, Kano pairs and mirrors.

Every rated item carries the parameters that generate its answers: the mean of the latent
rating, how strongly it loads on the customer's item perception, the planted weight of the
item in loyalty (0 for bare fundamentals) and the planted over-estimation by staff.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from realitygap.domain.scales import SCALES, ScaleKind


@dataclass(frozen=True)
class Item:
    """A customer-rated item and the planted parameters that generate its answers.

    ``mean`` is the mean latent rating on the item's scale, ``spread`` the scale points one
    standard deviation of the customer's perception moves it, ``noise`` the answer noise;
    ``weight`` is the planted driver weight on loyalty, ``overestimate`` the planted staff
    over-estimation in scale points before clipping.
    """

    question_id: str
    text: str
    touchpoint: str
    layer: str
    scale: ScaleKind
    mean: float
    spread: float
    noise: float
    weight: float
    overestimate: float
    bare_fundamental: bool = False

    @property
    def low(self) -> int:
        return SCALES[self.scale].low

    @property
    def high(self) -> int:
        return SCALES[self.scale].high


L5 = ScaleKind.LIKERT5

# Driver weights are distinct and well separated; bare fundamentals have weight 0, a high mean
# (about 90% give the top score) and a perception unrelated to everything else.
ITEMS: tuple[Item, ...] = (
    Item("q01", "Finding what I needed on the website was easy", "website", "service",
         L5, 3.25, 0.85, 0.55, 0.085, 0.30),
    Item("q02", "Staff greeted me politely", "store_staff", "hospitality",
         L5, 5.25, 0.30, 0.45, 0.0, 0.05, bare_fundamental=True),
    Item("q03", "Staff made me feel like a valued, known customer", "store_staff", "experience",
         L5, 3.05, 0.85, 0.55, 0.300, 1.30),
    Item("q04", "The store has a pleasant, memorable atmosphere", "store_ambience", "experience",
         L5, 3.20, 0.85, 0.55, 0.120, 0.90),
    Item("q05", "The store was clean", "store_ambience", "hospitality",
         L5, 5.20, 0.30, 0.45, 0.0, 0.10, bare_fundamental=True),
    Item("q06", "How easy was it to pay?", "checkout", "service",
         ScaleKind.CES7, 4.60, 1.15, 0.75, 0.055, 0.00),
    Item("q07", "The products are good value for money", "pricing", "service",
         L5, 3.00, 0.85, 0.55, 0.240, -0.35),
    Item("q08", "My order arrived when promised", "delivery", "service",
         L5, 3.40, 0.85, 0.55, 0.185, 0.40),
    Item("q09", "Opening the parcel felt special", "packaging", "experience",
         L5, 3.10, 0.85, 0.55, 0.030, 1.00),
    Item("q10", "The product works as described", "product", "service",
         L5, 3.45, 0.85, 0.55, 0.020, -0.15),
    Item("q11", "The app works reliably", "app", "service",
         L5, 3.15, 0.85, 0.55, 0.140, 0.50),
    Item("q12", "My invoice was correct", "billing", "service",
         L5, 5.15, 0.30, 0.45, 0.0, 0.00, bare_fundamental=True),
    Item("q13", "My problem was solved the first time I called", "call_centre", "service",
         L5, 2.95, 0.85, 0.55, 0.270, 0.60),
    Item("q14", "The agent was courteous and used my name", "call_centre", "hospitality",
         L5, 3.35, 0.85, 0.55, 0.070, 0.70),
    Item("q15", "Written support answered quickly", "chat", "service",
         L5, 3.10, 0.85, 0.55, 0.040, 0.20),
    Item("q16", "Returning an item was easy", "returns", "service",
         L5, 3.20, 0.85, 0.55, 0.100, 0.10),
    Item("q17", "The company surprises me with personal touches", "loyalty", "experience",
         L5, 2.90, 0.85, 0.55, 0.160, 1.20),
    Item("q18", "I love using the product", "product", "experience",
         L5, 3.30, 0.85, 0.55, 0.210, 0.80),
)  # fmt: skip

NPS_QUESTION = "nps"
NPS_MIRROR = "m_nps"
COMMENT_QUESTION = "comment"


@dataclass(frozen=True)
class KanoFeature:
    """A Kano feature and its planted dominant category in each wave (in wave order)."""

    feature: str
    label: str
    touchpoint: str
    layer: str
    categories: tuple[str, ...]


# Two features migrate attractive -> one-dimensional -> must-be ("today's delighter is
# tomorrow's must-be"), one rises from indifferent, two stay put.
KANO_FEATURES: tuple[KanoFeature, ...] = (
    KanoFeature("same_day_delivery", "same-day delivery", "delivery", "service",
                ("A", "O", "O", "M")),
    KanoFeature("live_chat", "live chat with a person", "chat", "service",
                ("A", "A", "O", "M")),
    KanoFeature("eco_packaging", "plastic-free packaging", "packaging", "experience",
                ("I", "A", "A", "O")),
    KanoFeature("order_tracking", "live order tracking", "delivery", "service",
                ("M", "M", "M", "M")),
    KanoFeature("personal_offers", "personal offers in the app", "app", "experience",
                ("A", "A", "A", "A")),
)  # fmt: skip


def mirror_id(question_id: str) -> str:
    return f"m_{question_id}"


def kano_ids(feature: str) -> tuple[str, str]:
    """The functional and dysfunctional question ids of a Kano feature."""
    return f"k_{feature}_f", f"k_{feature}_d"


def questions_frame() -> pd.DataFrame:
    """The question bank as rows of the ``questions`` table.

    Columns: question_id, text, scale, touchpoint, layer, audience, mirrors, feature, block.
    Order: NPS, rated items, comment, Kano pairs, then the staff mirrors (m_nps, m_q01, ...).
    """
    rows: list[dict[str, str | None]] = []

    def add(qid: str, text: str, scale: str, audience: str, **extra: str | None) -> None:
        row: dict[str, str | None] = {
            "question_id": qid,
            "text": text,
            "scale": scale,
            "touchpoint": None,
            "layer": None,
            "audience": audience,
            "mirrors": None,
            "feature": None,
            "block": None,
        }
        row.update(extra)
        rows.append(row)

    add(NPS_QUESTION, "How likely are you to recommend us to a friend or colleague?", "nps",
        "customer", block="loyalty")  # fmt: skip
    for item in ITEMS:
        block = f"touchpoint:{item.touchpoint}"
        add(item.question_id, item.text, item.scale.value, "customer",
            touchpoint=item.touchpoint, layer=item.layer, block=block)  # fmt: skip
    add(COMMENT_QUESTION, "Is there anything else you would like to tell us?", "text",
        "customer")  # fmt: skip
    for feat in KANO_FEATURES:
        f_id, d_id = kano_ids(feat.feature)
        add(f_id, f"If we offered {feat.label}, how would you feel?", "kano_functional",
            "customer", touchpoint=feat.touchpoint, layer=feat.layer, feature=feat.feature,
            block="kano")  # fmt: skip
        add(d_id, f"If we did not offer {feat.label}, how would you feel?", "kano_dysfunctional",
            "customer", touchpoint=feat.touchpoint, layer=feat.layer, feature=feat.feature,
            block="kano")  # fmt: skip
    add(NPS_MIRROR, "What will a typical customer answer: how likely are they to recommend us?",
        "nps", "mirror", mirrors=NPS_QUESTION, block="mirror")  # fmt: skip
    for item in ITEMS:
        add(mirror_id(item.question_id), f"How will customers rate: {item.text}?",
            item.scale.value, "mirror", touchpoint=item.touchpoint, layer=item.layer,
            mirrors=item.question_id, block="mirror")  # fmt: skip
    return pd.DataFrame(rows)
