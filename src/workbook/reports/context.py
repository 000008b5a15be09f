"""What every report needs: an open store, the cohort, the period, and rendering of entries."""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from ..errors import ConfigError, NotFoundError
from ..html import esc
from .blocks import Block, fmt

if TYPE_CHECKING:
    from ..exercises.catalogue import Catalogue
    from ..exercises.model import Exercise
    from ..store import Cohort, Comment, Entry, EntryFilters, Store

_STORES: dict[str, "Store"] = {}


def report_store(db_url: str = "") -> "Store":
    """The store for ``db_url`` (empty: ``$WORKBOOK_DB_URL`` or ./workbook.db), opened once per process.

    A pooled report kernel keeps the connection pool across reports; it holds no person's data.
    """
    from ..config import get_settings
    from ..store import Store

    url = get_settings(db_url or None).db_url
    if url not in _STORES:
        _STORES[url] = Store(url, create=False)
    return _STORES[url]


def forget_catalogues() -> None:
    """Drop the exercise catalogue cached by each store :func:`report_store` opened (a changed custom exercise is seen)."""
    for store in _STORES.values():
        store.forget_catalogue()


@dataclass(frozen=True)
class Period:
    """The reporting period: ``since`` inclusive, ``until`` exclusive (aware UTC datetimes or None)."""

    since: dt.datetime | None
    until: dt.datetime | None
    label: str

    def filters(self) -> "EntryFilters":
        """Keyword filters for ``find_entries`` and the access functions."""
        out: EntryFilters = {}
        if self.since is not None:
            out["since"] = self.since
        if self.until is not None:
            out["until"] = self.until
        return out

    def contains(self, at: dt.datetime) -> bool:
        """Whether ``at`` falls in the period."""
        return (self.since is None or at >= self.since) and (self.until is None or at < self.until)


def _day(text: str, name: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise ConfigError(f"{name}={text!r} is not a date; write it as YYYY-MM-DD") from None


def period(cohort: "Cohort", since: str = "", until: str = "") -> Period:
    """The period from two ISO dates, both inclusive, as whole days in the cohort's time zone."""
    zone = ZoneInfo(cohort.timezone)
    start = end = None
    if since:
        d = _day(since, "since")
        start = dt.datetime(d.year, d.month, d.day, tzinfo=zone).astimezone(dt.timezone.utc)
    if until:
        d = _day(until, "until") + dt.timedelta(days=1)
        end = dt.datetime(d.year, d.month, d.day, tzinfo=zone).astimezone(dt.timezone.utc)
    if start and end and end <= start:
        raise ConfigError(f"the period is empty: since {since} is after until {until}")
    if since and until:
        label = f"{since} to {until}"
    elif since:
        label = f"since {since}"
    elif until:
        label = f"up to {until}"
    else:
        label = "the whole programme so far"
    return Period(start, end, label)


def now_or_end(p: Period) -> dt.datetime:
    """The last instant of the period, or now when it is open-ended (or not over yet).

    ``until`` itself is exclusive (midnight after the last day): as a date it is the day after.
    """
    now = dt.datetime.now(dt.timezone.utc)
    return min(now, p.until - dt.timedelta(microseconds=1)) if p.until is not None else now


def local(at: dt.datetime, cohort: "Cohort") -> str:
    """A timestamp as the cohort reads it: ``2026-10-05 14:03``."""
    return at.astimezone(ZoneInfo(cohort.timezone)).strftime("%Y-%m-%d %H:%M")


def local_date(at: dt.datetime | None, cohort: "Cohort") -> str | None:
    """A timestamp's date in the cohort's time zone, ``2026-10-05`` (None when missing)."""
    if at is None or at != at:  # None or NaT
        return None
    return local(at, cohort)[:10]


def ordered_answers(answers: Mapping[str, object], prompt_ids: Sequence[str]) -> list[tuple[str, object]]:
    """Answers in the exercise's prompt order (a JSON column may not keep the order they were stored in)."""
    rank = {pid: i for i, pid in enumerate(prompt_ids)}
    return sorted(answers.items(), key=lambda kv: (rank.get(kv[0], len(rank)), kv[0]))


def exercise_or_none(catalogue: "Catalogue", exercise_id: str) -> "Exercise | None":
    """The exercise as the cohort's catalogue has it now, or None (a custom one retired since)."""
    try:
        return catalogue.get(exercise_id)
    except NotFoundError:
        return None


VISIBILITY_LABELS = {"private": "private", "coach": "shared with coach", "cohort": "shared with cohort"}


def render_entries(store: "Store", cohort: "Cohort", entries: Sequence["Entry"],
                   comments: Iterable["Comment"] = (), *, names: Mapping[str, str] | None = None,
                   empty: str = "No entries in this period.") -> Block:
    """Entries with every answered prompt (question, answer) and the comments given, all escaped."""
    if not entries:
        return Block(f'<p class="wb-muted">{esc(empty)}</p>', empty)
    catalogue = store.catalogue(cohort.id)
    by_entry: dict[int, list["Comment"]] = {}
    for c in comments:
        by_entry.setdefault(c.entry_id, []).append(c)
    names = names or {}
    parts, text = [], []
    for e in entries:
        ex = exercise_or_none(catalogue, e.exercise_id)  # a retired custom exercise: answers under their ids
        title, prompts = (ex.title, {p.id: p.text for p in ex.prompts}) if ex else (e.exercise_id, {})
        items = []
        for pid, value in ordered_answers(e.answers, list(prompts)):
            shown = "\n".join(f"• {v}" for v in value) if isinstance(value, list) else fmt(value)
            items.append(f'<div class="wb-q">{esc(prompts.get(pid, pid))}</div><div class="wb-a">{esc(shown)}</div>')
            text.append(f"{prompts.get(pid, pid)}: {shown}")
        notes = []
        for c in by_entry.get(e.id, []):
            state = "" if c.released else " (not yet released to the mentee)"
            notes.append(f'<div class="wb-comment"><b>{esc(names.get(c.author_id, c.author_id))}</b>'
                         f'<span class="wb-muted">{esc(state)}</span>: {esc(c.body)}</div>')
            text.append(f"Comment: {c.body}")
        badge = esc(VISIBILITY_LABELS.get(e.visibility, e.visibility))
        parts.append(f'<div class="wb-entry"><h4>{esc(title)} <span class="wb-muted">· {esc(local(e.created_at, cohort))}'
                     f'</span> <span class="wb-badge">{badge}</span></h4>{"".join(items)}{"".join(notes)}</div>')
    return Block("".join(parts), "\n".join(text))
