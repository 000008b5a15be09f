"""Shared working hours and offset gaps between IANA time zones, daylight saving included."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from typing import Sequence
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np

from ..errors import ValidationError
from .model import working_hours_problem


@lru_cache(maxsize=512)
def zone(name: str) -> ZoneInfo:
    """The time zone called ``name``; a ValidationError that says what to write otherwise."""
    try:
        if not name or name != name.strip():
            raise ValueError(name)
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError, AttributeError):
        raise ValidationError(
            f"unknown time zone {name!r}; use an IANA name such as Europe/London or America/New_York"
        ) from None


def _hours_since(day: date, moment: datetime) -> float:
    start = datetime.combine(day, time(0), tzinfo=timezone.utc)
    return (moment - start).total_seconds() / 3600


def _windows(name: str, day: date, hours: tuple[int, int]) -> np.ndarray:
    """UTC working windows of the days before, of and after ``day``, in hours since ``day`` 00:00 UTC."""
    tz = zone(name)
    out = np.empty((3, 2))
    for k, delta in enumerate((-1, 0, 1)):
        local = day + timedelta(days=delta)
        for e, hour in enumerate(hours):
            # 24:00 is midnight of the next local day, which may have a different offset.
            moment = datetime.combine(local + timedelta(days=hour // 24), time(hour % 24), tzinfo=tz)
            out[k, e] = _hours_since(day, moment)
    return out


def utc_offset_hours(name: str, on: date) -> float:
    """The zone's UTC offset at local noon of ``on``, in hours."""
    moment = datetime.combine(on, time(12), tzinfo=zone(name))
    offset = moment.utcoffset()
    assert offset is not None  # ZoneInfo always knows its offset
    return offset.total_seconds() / 3600


def overlap_table(names: Sequence[str], hours: tuple[int, int], on: date) -> np.ndarray:
    """Shared working hours for every pair of zones: ``table[a, b]``.

    Zone a's working window on ``on`` is compared with zone b's windows of the day before, the
    day itself and the day after, so zones either side of the date line (Auckland and Honolulu)
    share the hours their clocks actually share.
    """
    windows = np.stack([_windows(n, on, hours) for n in names]) if names else np.empty((0, 3, 2))
    a = windows[:, 1, :][:, None, None, :]  # (A, 1, 1, 2): each zone's own day
    b = windows[None, :, :, :]  # (1, B, 3, 2): the other zone's three days
    overlap = np.minimum(a[..., 1], b[..., 1]) - np.maximum(a[..., 0], b[..., 0])
    return np.clip(overlap, 0, None).sum(axis=2)


def gap_table(names: Sequence[str], on: date) -> np.ndarray:
    """Gap between UTC offsets for every pair of zones, round the clock (at most 12 h)."""
    offsets = np.array([utc_offset_hours(n, on) for n in names])
    diff = np.abs(offsets[:, None] - offsets[None, :]) % 24
    return np.minimum(diff, 24 - diff)


def working_overlap_hours(
    tz_a: str, tz_b: str, working_hours: tuple[int, int] = (9, 17), on: date | None = None
) -> float:
    """Hours of one working day that two people share when each works ``working_hours`` locally.

    ``on`` (default today) decides which offsets apply, so daylight saving time counts:
    Europe/London and America/New_York share 3 h of a 9-17 day most of the year, 4 h in the
    weeks when only the US has switched.
    """
    problem = working_hours_problem(tuple(working_hours))
    if problem:
        raise ValidationError("invalid working hours", [problem])
    table = overlap_table([tz_a, tz_b], tuple(working_hours), on or date.today())  # type: ignore[arg-type]
    return float(table[0, 1])
