"""Write a Sluice filter in Python: one function and a decorator.

componentize-py turns a module that defines ``WitWorld`` into a component of
the ``sluice:filter`` world. ``@filter`` defines it in the function's module,
so the author never sees the batch call or the WIT types::

    import sluice_filter as sluice

    @sluice.filter
    def keep_english(tweet):
        return sluice.PASS if tweet.get("lang") == "en" else sluice.DROP

The function gets one parsed record and returns ``PASS``, ``DROP``,
``Replace(doc)`` or ``Split([docs])``, or refuses the record by returning or
raising ``Reject(reason)``. Any other exception is a fault of that record:
the host dead-letters it as a trap and starts a fresh instance.

Settings are a second parameter: ``@filter(settings={"langs": ["en"]})``
names every key with its default, refuses any other key by name, and checks
each value's type against its default's; the function gets them as an
object (``settings.langs``) that it may also change, as state kept between
records. ``settings=`` may instead be a callable that gets the table as a
dict; whatever it raises refuses the plugin with its message.
"""

import json
from types import SimpleNamespace
from typing import Any, Callable, List, Optional, Union


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


class Replace:
    """Forward this JSON value instead of the record."""

    def __init__(self, doc: Any):
        self.doc = doc


class Split:
    """Forward several JSON values instead of the record (none is a drop)."""

    def __init__(self, docs: List[Any]):
        self.docs = docs


class Reject(Exception):
    """Refuse the record; the host dead-letters it with this reason.
    Return it or raise it."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = str(reason)


def _encode(doc: Any) -> bytes:
    # ensure_ascii=False keeps non-Latin text as UTF-8 instead of \u escapes,
    # about a third smaller for the Japanese and Korean tweets.
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    return "null"


def _unknown_key(key: str, known: List[str]) -> str:
    # serde's wording, so that every language's SDK refuses a key alike.
    names = ", ".join(f"`{name}`" for name in known)
    expected = (
        "there are no fields"
        if not known
        else f"expected {names}" if len(known) == 1 else f"expected one of {names}"
    )
    return f"invalid plugin config at `{key}`: unknown field `{key}`, {expected}"


def check_settings(table: dict, defaults: dict) -> SimpleNamespace:
    """The settings: every key of ``defaults``, overridden by ``table``.
    Raises ``ValueError`` naming an unknown key or a value whose type is not
    its default's (for a list, its elements' type too)."""
    for key, value in table.items():
        if key not in defaults:
            raise ValueError(_unknown_key(key, list(defaults)))
        default = defaults[key]
        if default is not None and _kind(value) != _kind(default):
            raise ValueError(
                f"invalid plugin config at `{key}`: expected {_kind(default)}, got {_kind(value)}"
            )
        if isinstance(default, list) and default:
            element = _kind(default[0])
            if any(_kind(item) != element for item in value):
                raise ValueError(f"invalid plugin config at `{key}`: expected a list of {element[2:]}s")
    return SimpleNamespace(**{**defaults, **table})


def _outcome(types: Any, verdict: Any) -> Any:
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


def _world(function: Callable, settings: Optional[Union[dict, Callable]]) -> type:
    # componentize-py may build a new WitWorld for every call, so the
    # settings live here rather than on the instance.
    state: dict = {}

    def read_settings(table: dict) -> Any:
        if settings is None:
            return check_settings(table, {})
        if isinstance(settings, dict):
            return check_settings(table, settings)
        return settings(table)

    class WitWorld:
        def init(self, config: str) -> None:
            # The generated bindings exist only inside componentize-py's build.
            from componentize_py_types import Err

            try:
                table = json.loads(config)
                if not isinstance(table, dict):
                    raise ValueError("invalid plugin config: not a JSON object")
                state["settings"] = read_settings(table)
            except Exception as error:
                raise Err(str(error))

        def process(self, batch: List[bytes]) -> List[Any]:
            from wit_world.imports import types

            out = []
            for record in batch:
                try:
                    tweet = json.loads(record)
                except ValueError as error:
                    out.append(types.Outcome_Reject(f"plugin could not parse record: {error}"))
                    continue
                try:
                    if settings is None:
                        verdict = function(tweet)
                    else:
                        verdict = function(tweet, state["settings"])
                except Reject as reject:
                    verdict = reject
                out.append(_outcome(types, verdict))
            return out

    return WitWorld


def filter(function: Optional[Callable] = None, *, settings: Optional[Union[dict, Callable]] = None):
    """Makes ``function`` the plugin's filter: defines ``WitWorld`` in its
    module for componentize-py. Use as ``@filter`` or ``@filter(settings=...)``."""

    def export(function: Callable) -> Callable:
        function.__globals__["WitWorld"] = _world(function, settings)
        return function

    return export(function) if function is not None else export
