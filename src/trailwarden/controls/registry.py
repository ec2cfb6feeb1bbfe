"""The one registry of controls: metadata plus a pure evaluation function per control."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from trailwarden.controls.context import AccountView
from trailwarden.controls.model import ControlMeta, Finding

ControlFn = Callable[[AccountView, ControlMeta], Iterable[Finding]]


@dataclass(frozen=True)
class Control:
    meta: ControlMeta
    evaluate: ControlFn


REGISTRY: dict[str, Control] = {}


def register(meta: ControlMeta) -> Callable[[ControlFn], ControlFn]:
    def add(fn: ControlFn) -> ControlFn:
        if meta.id in REGISTRY:
            raise ValueError(f"control {meta.id} registered twice")
        REGISTRY[meta.id] = Control(meta, fn)
        return fn

    return add


def control_sort_key(control_id: str) -> tuple[str, int]:
    family, _, number = control_id.partition(".")
    return family, int(number) if number.isdigit() else 0
