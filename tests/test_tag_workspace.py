"""Tagging a workspace: stored tags, text redacted once at entry (and once by the migration
of older workspaces), originals, trained models, the CLI."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from realitygap.actions.text import load_models, read_labels, tag_workspace
from realitygap.analysis.text.tagger import TextPath
from realitygap.cli import app
from realitygap.domain.errors import SurveyDataError
from realitygap.store import Workspace
from realitygap.store.write import insert_new

TEXTS = {
    "d1": "The delivery was late and the courier was rude to me. Call 020 7946 0958",
    "d2": "Lovely shop, the music and the smell of fresh coffee were amazing",
    "d3": "Refund still not here, write to ann@example.com",
    "d4": "Great value, the prices are fair",
    "d5": "ok",
}


def _frame(texts: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame(
        {"document_id": list(texts), "source": "survey", "text": list(texts.values())}
    )


def _documents(ws: Workspace, texts: dict[str, str]) -> None:
    """The documents as an import brings them in: the importer redacts them."""
    from realitygap.ingest import import_file

    path = ws.path / "documents.csv"
    _frame(texts).to_csv(path, index=False)
    import_file(ws, path, "documents")


def _stored(ws: Workspace) -> pd.Series:
    text: pd.Series = ws.table("documents").execute().set_index("document_id")["text"]
    return text


# The schema before text was redacted at entry (migration 4): an older realitygap's workspace.
BEFORE_REDACTION = 3


@pytest.fixture
def old_workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A workspace written by an older realitygap (schema 3), whose documents were stored
    unredacted (they were redacted only when tagged): written here raw."""
    import realitygap.store.workspace as module
    from realitygap.store.schema import MIGRATIONS

    with monkeypatch.context() as older:
        older.setattr(module, "MIGRATIONS", MIGRATIONS[:BEFORE_REDACTION])
        older.setattr(module, "SCHEMA_VERSION", BEFORE_REDACTION)
        with Workspace.create(tmp_path / "old") as ws:
            assert ws.schema_version == BEFORE_REDACTION
            insert_new(ws, "documents", _frame(TEXTS))
    return tmp_path / "old"


def test_older_workspace_is_redacted_once_by_the_migration(old_workspace: Path) -> None:
    path = old_workspace
    with Workspace.open(path, read_only=True) as reader:  # a reader first: migrated anyway
        stored = _stored(reader)
        # expected by hand: d1 (phone) and d3 (e-mail) redacted, the others unchanged
        assert stored["d1"].endswith("Call [PHONE]")
        assert stored["d3"] == "Refund still not here, write to [EMAIL]"
        assert stored["d2"] == TEXTS["d2"]
        assert reader.count("document_originals") == 0  # not kept by default
    with Workspace.open(path) as again:  # migrated once: nothing left to do
        assert again.schema_version > BEFORE_REDACTION
        run = tag_workspace(again, batch_size=2)  # 3 pages: streaming path exercised
        assert run.documents == 5
        assert _stored(again).equals(stored)  # tagging never rewrites the stored text


def test_tags_are_stored(workspace: Workspace) -> None:
    _documents(workspace, TEXTS)
    stored = _stored(workspace)
    assert stored["d1"].endswith("Call [PHONE]")  # redacted on the way in
    tag_workspace(workspace, batch_size=2)

    tags = workspace.table("document_tags").execute().set_index("document_id")
    aspects = workspace.table("document_aspects").execute()
    # hand-read expectations from the default taxonomy's seeds and VADER's lexicon:
    # d1 names delivery ("delivery", "courier") and is a rude-staff complaint -> hospitality
    assert bool(tags.loc["d1", "staff_attitude"]) and tags.loc["d1", "layer"] == "hospitality"
    assert tags.loc["d2", "sentiment"] == "positive" and not tags.loc["d2", "staff_attitude"]
    tp = aspects[aspects["aspect_kind"] == "touchpoint"]
    assert set(tp.loc[tp["document_id"] == "d1", "aspect"]) >= {"delivery"}
    assert (
        tp.loc[(tp["document_id"] == "d1") & (tp["aspect"] == "delivery"), "sentiment"].item()
        == "negative"
    )
    assert set(tp.loc[tp["document_id"] == "d2", "aspect"]) == {"store_ambience"}
    senses = set(
        aspects.loc[
            (aspects["aspect_kind"] == "sense") & (aspects["document_id"] == "d2"), "aspect"
        ]
    )
    assert {"hear", "smell"} <= senses  # "music", "smell"
    assert tags["model"].unique().tolist() == ["fast-zero-shot"]

    again = tag_workspace(workspace)
    assert again.documents == 0  # only new documents are tagged
    assert workspace.count("document_tags") == 5


def test_originals_kept_only_when_configured(old_workspace: Path) -> None:
    (old_workspace / "settings.toml").write_text("[privacy]\nkeep_original = true\n")
    workspace = Workspace.open(old_workspace)  # the migration keeps what it redacts
    originals = workspace.table("document_originals").execute().set_index("document_id")["text"]
    assert originals.to_dict() == {"d1": TEXTS["d1"], "d3": TEXTS["d3"]}


LABELS = """text,sentiment,touchpoints,layer,staff_attitude
the parcel came late again,negative,delivery:negative,service,0
courier lost my parcel,negative,delivery:negative,service,0
delivery was quick,positive,delivery:positive,service,0
the driver was rude and shouted,negative,delivery:negative,hospitality,1
staff were rude to me,negative,store_staff:negative,hospitality,1
lovely friendly staff,positive,store_staff:positive,hospitality,0
the cashier ignored me,negative,store_staff:negative,hospitality,1
prices too high,negative,pricing:negative,service,0
great value for money,positive,pricing:positive,experience,0
the shop smells wonderful,positive,store_ambience:positive,experience,0
nice music in the store,positive,store_ambience:positive,experience,0
my invoice was wrong,negative,billing:negative,service,0
"""


def test_trained_model_is_saved_and_used(workspace: Workspace, tmp_path: Path) -> None:
    labels = tmp_path / "labels.csv"
    labels.write_text(LABELS)
    result = CliRunner().invoke(app, ["text", "train", str(workspace.path), str(labels)])
    assert result.exit_code == 0, result.output
    models = load_models(workspace, TextPath.FAST)
    assert models is not None and models.trained_on == 12
    assert set(models.parts) >= {"sentiment", "layer", "staff_attitude", "touchpoints"}
    _documents(workspace, {"x1": "the cashier was rude and ignored me", "x2": "lovely value"})
    run = tag_workspace(workspace)
    assert run.model == "fast-supervised"
    tags = workspace.table("document_tags").execute().set_index("document_id")
    # the training rows with "rude"/"ignored" are all negative staff-attitude complaints
    assert tags.loc["x1", "sentiment"] == "negative"
    assert bool(tags.loc["x1", "staff_attitude"])


def test_bad_labels_name_row_and_column(workspace: Workspace, tmp_path: Path) -> None:
    labels = tmp_path / "labels.csv"
    labels.write_text("text,sentiment,touchpoints\nfine,happy,delivery\nok,positive,teleport\n")
    with pytest.raises(SurveyDataError) as err:
        read_labels(labels, workspace)
    message = str(err.value)
    assert "row 2, column 'sentiment': found 'happy'" in message
    assert "row 3, column 'touchpoints': found 'teleport'" in message


def test_cli_tag_and_themes_run(workspace: Workspace) -> None:
    _documents(workspace, TEXTS)
    path = str(workspace.path)
    workspace.close()
    runner = CliRunner()
    result = runner.invoke(app, ["text", "tag", path, "--json"])
    assert result.exit_code == 0, result.output
    assert '"documents": 5' in result.output
    result = runner.invoke(app, ["text", "themes", path, "--k", "2", "--json"])
    assert result.exit_code == 0, result.output
    assert "ann@example.com" not in result.output
