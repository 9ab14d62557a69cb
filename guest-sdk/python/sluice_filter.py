"""Write a Sluice filter in Python: one class, one line to export it.

componentize-py turns a module that defines ``WitWorld`` into a component of
the ``sluice:filter`` world. This module builds that class from a plain
filter class, so the author never sees the batch call or the WIT types::

    import sluice_filter as sluice

    class KeepEnglish:
        def __init__(self, config: dict):
            pass

        def filter(self, tweet):
            return sluice.PASS if tweet.get("lang") == "en" else sluice.DROP

    WitWorld = sluice.export_filter(KeepEnglish)

``__init__`` gets the plugin's config table as a dict; a ``ValueError`` it
raises refuses the plugin with its message. ``filter`` gets one parsed
record and returns ``PASS``, ``DROP``, ``Replace(doc)``, ``Split([docs])``
or ``Reject(reason)``. An exception it raises rejects that record with the
exception's text instead of trapping the whole batch.
"""

import json
from dataclasses import dataclass
from typing import Any, Callable, List, Protocol

from componentize_py_types import Err
from wit_world.imports import types


class _Pass:
    def __repr__(self) -> str:
        return "PASS"


class _Drop:
    def __repr__(self) -> str:
        return "DROP"


PASS = _Pass()
"""Forward the record's original bytes."""

DROP = _Drop()
"""Drop the record on purpose (counted as dropped)."""


@dataclass
class Replace:
    """Forward this JSON value instead of the record."""

    doc: Any


@dataclass
class Split:
    """Forward several JSON values instead of the record (none is a drop)."""

    docs: List[Any]


@dataclass
class Reject:
    """Refuse the record; the host dead-letters it with this reason."""

    reason: str


class Filter(Protocol):
    def filter(self, doc: Any) -> Any: ...


def _encode(doc: Any) -> bytes:
    # ensure_ascii=False keeps non-Latin text as UTF-8 instead of \u escapes,
    # about a third smaller for the Japanese and Korean tweets.
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _outcome(filter: Filter, record: bytes) -> types.Outcome:
    try:
        doc = json.loads(record)
    except ValueError as error:
        return types.Outcome_Reject(f"plugin could not parse record: {error}")
    try:
        verdict = filter.filter(doc)
        if verdict is PASS:
            return types.Outcome_Pass()
        if verdict is DROP:
            return types.Outcome_Drop()
        if isinstance(verdict, Replace):
            return types.Outcome_Replace(_encode(verdict.doc))
        if isinstance(verdict, Split):
            return types.Outcome_Split([_encode(doc) for doc in verdict.docs])
        if isinstance(verdict, Reject):
            return types.Outcome_Reject(verdict.reason)
        raise TypeError(f"filter returned {verdict!r}, not a verdict")
    except Exception as error:
        return types.Outcome_Reject(f"filter raised {type(error).__name__}: {error}")


def export_filter(make_filter: Callable[[dict], Filter]) -> type:
    """Returns the ``WitWorld`` class that componentize-py exports."""
    # componentize-py may build a new WitWorld for every call, so the filter
    # lives here rather than on the instance.
    state: dict = {}

    class WitWorld:
        def init(self, config: str) -> None:
            try:
                table = json.loads(config)
            except ValueError as error:
                raise Err(f"config is not valid JSON: {error}")
            if not isinstance(table, dict):
                raise Err("config must be a JSON object")
            try:
                state["filter"] = make_filter(table)
            except ValueError as error:
                raise Err(str(error))

        def process(self, batch: List[bytes]) -> List[types.Outcome]:
            filter = state["filter"]
            return [_outcome(filter, record) for record in batch]

    return WitWorld
