"""Live pages: the kernel pushes changes to the page by itself, no Refresh.

A Voila kernel keeps running its event loop (ipykernel's asyncio loop, on the main thread) after
the notebook has executed, waiting for widget messages. :class:`Live` schedules itself on that
loop with ``loop.call_later`` once a second: it asks a cheap *change marker* (for a retro,
:func:`workbook.retro.change_marker`, one indexed query) and calls ``on_change`` only when the marker
moved, so an idle room costs one small query per page per second and no widget traffic. Between
changes, ``on_tick`` (a countdown label) runs each second only while ``ticking()`` says so; it
touches no database.

Widget changes made from the callback reach the browser like any other (``comm_msg`` on iopub),
and traitlets send nothing when a value did not change, so re-rendering an unchanged part is free
on the wire.

It stops when asked, when the page's root widget is closed (``owner.comm`` gone), and with the
kernel (the process ends). Outside a kernel (tests, a plain script) there is no running loop:
:meth:`Live.start` then does nothing and callers drive :meth:`Live.check` themselves.

``WORKBOOK_LIVE=0`` in the server's environment turns the push off (the benchmark's baseline);
:data:`STATS` counts ticks, polls and renders of this process (the benchmark reads it in the kernels).
"""
from __future__ import annotations

import asyncio
import logging
import os
import time
from collections import Counter
from collections.abc import Callable, Hashable
from typing import Any

log = logging.getLogger(__name__)

#: Environment switch: "0" (or "off", "false") turns live updates off in this process.
ENV_SWITCH = "WORKBOOK_LIVE"
#: Seconds between two looks at the change marker.
INTERVAL = 1.0
#: Counters of this process: ticks, polls, changes, renders, countdowns, errors, lives started/stopped.
STATS: Counter[str] = Counter()


def enabled() -> bool:
    """Whether live updates are on in this process (``WORKBOOK_LIVE``, on by default)."""
    return os.environ.get(ENV_SWITCH, "1").strip().lower() not in ("0", "off", "false", "no")


def running_loop() -> asyncio.AbstractEventLoop | None:
    """The event loop running this code (a kernel executing a cell), or None (a plain call)."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


class Live:
    """Poll ``marker`` every ``interval`` seconds on the kernel's loop; ``on_change`` when it moves.

    ``marker()`` must be cheap (it runs every second on every open page); ``on_change(marker)``
    re-renders; ``on_tick()`` runs once a second while ``ticking()`` is true (a countdown).
    An exception in any of them is logged and the loop carries on (after a failed poll, it waits
    a little longer, up to 10 s, so a database that is down is not hammered by a room).
    """

    def __init__(self, marker: Callable[[], Hashable], on_change: Callable[[Hashable], None], *,
                 on_tick: Callable[[], None] | None = None, ticking: Callable[[], bool] | None = None,
                 owner: Any = None, interval: float = INTERVAL) -> None:
        self.marker = marker
        self.on_change = on_change
        self.on_tick = on_tick
        self.ticking = ticking or (lambda: False)
        self.owner = owner
        self.interval = interval
        self.last: Hashable = None
        self.failures = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._handle: asyncio.TimerHandle | None = None
        self._next_poll = 0.0

    @property
    def running(self) -> bool:
        return self._handle is not None

    def prime(self, value: Hashable) -> None:
        """The marker the page was built at (so the first look does not re-render for nothing)."""
        self.last = value

    def start(self, loop: asyncio.AbstractEventLoop | None = None) -> bool:
        """Start on ``loop`` (default: the running one); False when there is none or live is off."""
        if self._handle is not None:
            return True
        loop = loop or running_loop()
        if loop is None or not enabled():
            return False
        self._loop = loop
        self._next_poll = time.monotonic() + self.interval
        self._handle = loop.call_later(1.0, self._tick)
        STATS["started"] += 1
        return True

    def stop(self) -> None:
        """Stop for good (idempotent)."""
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
            STATS["stopped"] += 1

    def _owner_closed(self) -> bool:
        # ipywidgets sets ``comm`` to None when a widget is closed (page torn down).
        return self.owner is not None and getattr(self.owner, "comm", True) is None

    def _tick(self) -> None:
        self._handle = None
        if self._owner_closed():
            STATS["stopped"] += 1
            return
        STATS["ticks"] += 1
        try:
            if time.monotonic() >= self._next_poll - 0.05:
                self.check()
                wait = self.interval * (1 + min(self.failures, 9))  # back off while the store fails
                self._next_poll = time.monotonic() + wait
            if self.on_tick is not None and self.ticking():
                STATS["countdowns"] += 1
                self.on_tick()
        except Exception:  # a bug in a render: log it, keep the page alive
            STATS["errors"] += 1
            log.exception("live update failed")
        if self._loop is not None and not self._loop.is_closed():
            self._handle = self._loop.call_later(1.0, self._tick)

    def check(self) -> bool:
        """Look at the marker now; re-render when it moved. True when it did."""
        STATS["polls"] += 1
        try:
            value = self.marker()
        except Exception:
            self.failures += 1
            STATS["errors"] += 1
            log.warning("live update: reading the change marker failed (%d in a row)", self.failures,
                        exc_info=self.failures == 1)
            return False
        self.failures = 0
        if value == self.last:
            return False
        STATS["changes"] += 1
        self.on_change(value)  # a render that fails raises: the next tick tries again
        self.last = value
        STATS["renders"] += 1
        return True
