"""The question bank as the survey analyses (audit, drivers, behaviour) need it.

Rated customer items are the customer-audience questions on a closed, ordered scale (NPS,
Likert, CES, binary); Kano halves and free text are not items of the instrument in this sense.
"""

from __future__ import annotations

import pandas as pd

from realitygap.domain.errors import Problem, SurveyDataError
from realitygap.domain.scales import RATED_SCALES, Scale, ScaleKind, scale_for
from realitygap.store.workspace import Workspace


def question_bank(ws: Workspace) -> pd.DataFrame:
    """The ``questions`` table (small), indexed by question_id."""
    q: pd.DataFrame = ws.table("questions").execute()
    out: pd.DataFrame = q.set_index("question_id", drop=False)
    return out


def rated_customer_items(bank: pd.DataFrame, exclude: tuple[str, ...] = ()) -> list[str]:
    """Customer questions on a rated scale, in question-id order, minus ``exclude``."""
    rated = bank[
        (bank["audience"] == "customer") & bank["scale"].isin([s.value for s in RATED_SCALES])
    ]
    return sorted(q for q in rated["question_id"] if q not in exclude)


def nps_question(bank: pd.DataFrame) -> str | None:
    """The likelihood-to-recommend question: the customer question on the NPS scale (the first
    by id when there are several), or None."""
    nps = bank[(bank["audience"] == "customer") & (bank["scale"] == ScaleKind.NPS.value)]
    return str(sorted(nps.index)[0]) if len(nps) else None


def default_outcome(bank: pd.DataFrame) -> str:
    """:func:`nps_question`; raises SurveyDataError when there is none (then name the outcome
    explicitly)."""
    found = nps_question(bank)
    if found is None:
        raise SurveyDataError(
            [
                Problem(
                    "questions",
                    None,
                    "scale",
                    None,
                    "a customer question on the nps scale, or an outcome named with --outcome",
                )
            ]
        )
    return found


def require(bank: pd.DataFrame, question_id: str, what: str) -> None:
    """Raise SurveyDataError naming ``question_id`` when the bank does not hold it."""
    if question_id not in bank.index:
        raise SurveyDataError(
            [Problem("questions", None, "question_id", question_id, f"{what} in the workspace")]
        )


def scale_of(bank: pd.DataFrame, question_id: str) -> Scale | None:
    """The closed scale of a question, or None (free text)."""
    return scale_for(str(bank.loc[question_id, "scale"]))
