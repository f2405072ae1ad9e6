"""Saving and loading a SimState as versioned JSON (dataclasses <-> plain JSON values)."""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from typing import Any, TypeVar

from backend.sim.state import STATE_VERSION, SimState

T = TypeVar("T")


def to_json(state: SimState) -> str:
    """The state as JSON text (stable key order, versioned)."""
    return json.dumps(dataclasses.asdict(state), indent=1, sort_keys=True)


def from_json(text: str) -> SimState:
    """A state from `to_json` text; ValueError for an unknown version or a malformed file."""
    data = json.loads(text)
    if not isinstance(data, dict) or data.get("version") != STATE_VERSION:
        raise ValueError(f"unsupported sim state version: {data.get('version')!r}")
    return _load(SimState, data)


def _load(cls: type[T], data: Any) -> T:
    """Build a dataclass from asdict() output, guided by its type hints."""
    hints = typing.get_type_hints(cls)
    kwargs: dict[str, Any] = {}
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        if f.name in data:
            kwargs[f.name] = _convert(hints[f.name], data[f.name])
    return cls(**kwargs)


def _convert(tp: Any, value: Any) -> Any:
    """Convert one JSON value to the annotated type."""
    if value is None:
        return None
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return _convert(args[0], value)
    if origin is list:
        (item,) = typing.get_args(tp)
        return [_convert(item, v) for v in value]
    if origin is dict:
        _, item = typing.get_args(tp)
        return {k: _convert(item, v) for k, v in value.items()}
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        return _load(tp, value)
    if tp is float and isinstance(value, int):
        return float(value)
    return value
