"""Customer free text on its way into the workspace."""

from __future__ import annotations

import pandas as pd


def customer_text_for_storage(texts: pd.Series) -> pd.Series:
    """The customer free text to store, one entry per input entry, same index.

    Every importer of free text (documents files, text answers of surveys) passes its texts
    through here, so this is the one place where personal data would be redacted before it
    is stored. Today the text is stored exactly as written.
    """
    return texts
