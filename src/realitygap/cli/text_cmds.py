"""`realitygap text tag | train | themes`: text analytics of comments, reviews and tickets."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from realitygap.cli._common import (
    JsonOpt,
    WaitOpt,
    WorkspaceArg,
    console,
    frame_table,
    handles_errors,
    print_json,
    show,
)

text_app = typer.Typer(
    help="Tag free text (sentiment, touchpoints, senses, layer, staff attitude), train the "
    "tagger on your labels, discover themes. Personal data is redacted.",
    no_args_is_help=True,
)


class TextPath(StrEnum):
    # mirrors realitygap.analysis.text.tagger.TextPath; the analysis (scikit-learn, torch) is
    # imported only when a text command runs, so `realitygap --help` stays fast
    FAST = "fast"
    ACCURATE = "accurate"


PathOpt = Annotated[
    TextPath,
    typer.Option(
        "--path",
        help="fast: n-grams and lexicon (thousands of documents a second); accurate: adds "
        "MiniLM sentence embeddings (slower, better on paraphrases).",
    ),
]


@text_app.command("tag")
@handles_errors
def tag(
    workspace: WorkspaceArg,
    path: PathOpt = TextPath.FAST,
    retag: Annotated[
        bool, typer.Option("--retag", help="Tag every document again, not only new ones.")
    ] = False,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            min=1,
            help="Processes that redact and tag in parallel (default: one per CPU on the fast "
            "path, one on the accurate path, whose embedder runs its own processes).",
        ),
    ] = None,
    json: JsonOpt = False,
    wait: WaitOpt = None,
) -> None:
    """Redact personal data and tag the workspace's documents not yet tagged.

    Uses the model trained by `text train` for this path when there is one, else zero-shot.
    """
    from realitygap.actions.text import tag_workspace
    from realitygap.analysis.text import tagger
    from realitygap.store import Workspace

    with Workspace.open(workspace, wait=wait) as ws:
        run = tag_workspace(ws, tagger.TextPath(path.value), retag=retag, workers=workers)
    show(run, json)


@text_app.command("train")
@handles_errors
def train(
    workspace: WorkspaceArg,
    labels: Annotated[
        Path,
        typer.Argument(
            help="CSV: text plus any of sentiment, touchpoints, senses, "
            "layer, staff_attitude (see docs/text.md).",
            show_default=False,
        ),
    ],
    path: PathOpt = TextPath.FAST,
    json: JsonOpt = False,
    wait: WaitOpt = None,
) -> None:
    """Learn the tagger from labelled examples; `text tag` uses the trained model from then on."""
    from realitygap.actions.text import train_workspace
    from realitygap.analysis.text import tagger
    from realitygap.store import Workspace

    with Workspace.open(workspace, wait=wait) as ws:
        models, saved = train_workspace(ws, labels, tagger.TextPath(path.value))
    summary = {
        "path": models.path.value,
        "trained_on": models.trained_on,
        "parts": list(models.parts),
        "saved": str(saved),
    }
    if json:
        print_json(summary)
        return
    console.print(
        f"trained {', '.join(models.parts) or 'nothing'} on {models.trained_on} examples "
        f"({models.path.value} path); saved to {saved}. Run `realitygap text tag "
        f"{workspace} --retag --path {models.path.value}` to re-tag.",
        highlight=False,
    )


@text_app.command("themes")
@handles_errors
def themes(
    workspace: WorkspaceArg,
    path: PathOpt = TextPath.FAST,
    k: Annotated[
        int | None, typer.Option("--k", help="Number of themes (default: best silhouette).")
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Random seed of sampling and k-means.")] = 0,
    json: JsonOpt = False,
    wait: WaitOpt = None,
) -> None:
    """Discover themes: volume, sentiment, monthly trend, emerging, NPS impact, quotes."""
    from realitygap.analysis.text import tagger
    from realitygap.analysis.text.themes import discover_themes
    from realitygap.store import Workspace

    with Workspace.open(workspace, wait=wait) as ws:
        result = discover_themes(ws, path=tagger.TextPath(path.value), k=k, seed=seed)
    if json:
        print_json(result)
        return
    console.print(str(result), highlight=False)
    if result.themes:
        frame = result.to_frame()[
            [
                "label",
                "documents",
                "share",
                "sentiment_value",
                "nps_impact_value",
                "nps_impact_low",
                "nps_impact_high",
                "emerging",
            ]
        ]
        console.print(frame_table(frame, title="Themes"))
