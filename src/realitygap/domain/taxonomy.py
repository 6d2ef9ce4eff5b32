"""The workspace taxonomy: journey stages, touchpoints and layers, kept in ``taxonomy.toml``.

A touchpoint is a point of connection where the customer meets the company. It belongs to a
journey stage, reaches some of the six senses and is owned by a department (the "point of
potential" that delivers it). Seed phrases let the zero-shot text tagger find it in free text.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from realitygap.domain.errors import TaxonomyError


class Layer(StrEnum):
    """Hospitality is the baseline, service fixes and speeds, experience makes it memorable."""

    HOSPITALITY = "hospitality"
    SERVICE = "service"
    EXPERIENCE = "experience"


class Sense(StrEnum):
    SEE = "see"
    HEAR = "hear"
    TOUCH = "touch"
    SMELL = "smell"
    TASTE = "taste"
    FEEL = "feel"


@dataclass(frozen=True)
class Touchpoint:
    id: str
    name: str
    stage: str
    senses: tuple[Sense, ...]
    owner: str  # owner department
    description: str = ""
    seeds: tuple[str, ...] = ()
    # phrases in which a seed means something else ("return flight" for "return"); TOML `not`
    not_seeds: tuple[str, ...] = ()


@dataclass(frozen=True)
class LayerInfo:
    id: Layer
    description: str
    seeds: tuple[str, ...] = ()


@dataclass(frozen=True)
class Taxonomy:
    stages: tuple[str, ...]
    touchpoints: tuple[Touchpoint, ...]
    layers: tuple[LayerInfo, ...] = field(default=())

    def touchpoint(self, touchpoint_id: str) -> Touchpoint:
        for tp in self.touchpoints:
            if tp.id == touchpoint_id:
                return tp
        raise KeyError(touchpoint_id)

    @property
    def touchpoint_ids(self) -> tuple[str, ...]:
        return tuple(tp.id for tp in self.touchpoints)

    @property
    def departments(self) -> tuple[str, ...]:
        return tuple(sorted({tp.owner for tp in self.touchpoints}))

    # ---- TOML ----------------------------------------------------------------------------
    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str = "taxonomy.toml") -> Taxonomy:
        try:
            stages = tuple(str(s) for s in data["stages"])
            raw_tps = data["touchpoints"]
        except KeyError as exc:
            raise TaxonomyError(f"{source}: missing required key {exc.args[0]!r}") from None
        touchpoints: list[Touchpoint] = []
        seen: set[str] = set()
        for i, tp in enumerate(raw_tps, start=1):
            where = f"{source}, touchpoint #{i}"
            for key in ("id", "name", "stage", "owner"):
                if key not in tp:
                    raise TaxonomyError(f"{where}: missing key {key!r}")
            if tp["id"] in seen:
                raise TaxonomyError(f"{where}: duplicate touchpoint id {tp['id']!r}")
            seen.add(tp["id"])
            if tp["stage"] not in stages:
                raise TaxonomyError(
                    f"{where}: found stage {tp['stage']!r}, expected one of {list(stages)}"
                )
            senses = []
            for s in tp.get("senses", []):
                if s not in Sense.__members__.values():
                    raise TaxonomyError(
                        f"{where}: found sense {s!r}, expected one of {[x.value for x in Sense]}"
                    )
                senses.append(Sense(s))
            not_seeds = tp.get("not", [])
            if not isinstance(not_seeds, list) or not all(isinstance(p, str) for p in not_seeds):
                raise TaxonomyError(
                    f"{where}: found not = {not_seeds!r}, expected a list of phrases (strings)"
                )
            touchpoints.append(
                Touchpoint(
                    id=str(tp["id"]),
                    name=str(tp["name"]),
                    stage=str(tp["stage"]),
                    senses=tuple(senses),
                    owner=str(tp["owner"]),
                    description=str(tp.get("description", "")),
                    seeds=tuple(str(s) for s in tp.get("seeds", [])),
                    not_seeds=tuple(not_seeds),
                )
            )
        layers: list[LayerInfo] = []
        for i, layer in enumerate(data.get("layers", []), start=1):
            if layer.get("id") not in Layer.__members__.values():
                raise TaxonomyError(
                    f"{source}, layer #{i}: found {layer.get('id')!r}, "
                    f"expected one of {[x.value for x in Layer]}"
                )
            layers.append(
                LayerInfo(
                    id=Layer(layer["id"]),
                    description=str(layer.get("description", "")),
                    seeds=tuple(str(s) for s in layer.get("seeds", [])),
                )
            )
        return cls(stages=stages, touchpoints=tuple(touchpoints), layers=tuple(layers))

    def to_dict(self) -> dict[str, Any]:
        return {
            "stages": list(self.stages),
            "layers": [
                {"id": li.id.value, "description": li.description, "seeds": list(li.seeds)}
                for li in self.layers
            ],
            "touchpoints": [
                {
                    "id": tp.id,
                    "name": tp.name,
                    "stage": tp.stage,
                    "senses": [s.value for s in tp.senses],
                    "owner": tp.owner,
                    "description": tp.description,
                    "seeds": list(tp.seeds),
                    **({"not": list(tp.not_seeds)} if tp.not_seeds else {}),
                }
                for tp in self.touchpoints
            ],
        }

    @classmethod
    def load(cls, path: Path) -> Taxonomy:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise TaxonomyError(f"{path}: taxonomy file not found") from None
        except tomllib.TOMLDecodeError as exc:
            raise TaxonomyError(f"{path}: not valid TOML ({exc})") from None
        except UnicodeDecodeError as exc:
            raise TaxonomyError(
                f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})"
            ) from None
        return cls.from_dict(data, source=str(path))

    def save(self, path: Path) -> None:
        import tomli_w  # only when writing: `realitygap info` reads

        path.write_text(tomli_w.dumps(self.to_dict()), encoding="utf-8")


def default_taxonomy_text() -> str:
    """The commented default ``taxonomy.toml`` that ``realitygap init`` writes."""
    from importlib import resources  # only for a new workspace

    return resources.files("realitygap.domain").joinpath("default_taxonomy.toml").read_text("utf-8")


def default_taxonomy() -> Taxonomy:
    return Taxonomy.from_dict(tomllib.loads(default_taxonomy_text()), source="default taxonomy")
