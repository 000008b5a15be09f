"""The report charts: matplotlib figures drawn from the frames the views computed, as PNG :class:`~..blocks.Chart`s.

Nothing here reads the store or decides what may be shown: each function draws the frame it is
given (already limited to what the page shows, small groups already suppressed by
:mod:`workbook.analytics`).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ... import analytics
from ..blocks import Block, Chart, new_figure, note
from .common import is_suppressed

if TYPE_CHECKING:
    import pandas as pd


def activity_chart(frame: "pd.DataFrame", trend: "pd.DataFrame", who: str) -> Chart | Block:
    """Entries per week (bars) and weekly mood (line with range), side by side."""
    if frame.empty:
        return note("No entries in this period, so no chart.")
    import pandas as pd

    weekly = frame.groupby("week").size()
    # Weeks without an entry are bars of 0, not gaps.
    weekly = weekly.reindex(pd.date_range(weekly.index.min(), weekly.index.max(), freq="7D"), fill_value=0)
    fig, (left, right) = new_figure(2)
    left.bar(weekly.index, weekly.to_numpy(), width=5, color="#6366f1")
    left.set_title("Entries per week")
    left.set_xlabel("week starting")
    left.set_ylabel("entries")
    left.yaxis.get_major_locator().set_params(integer=True)
    if trend.empty:
        right.text(0.5, 0.5, "no mood recorded", ha="center", va="center", transform=right.transAxes)
    else:
        if (trend["max"] > trend["min"]).any():
            right.fill_between(trend["week"], trend["min"], trend["max"], color="#a5b4fc", alpha=0.4,
                               label="lowest to highest")
        right.plot(trend["week"], trend["mean"], marker="o", color="#3730a3", label="average")
        right.legend(loc="lower right", frameon=False, fontsize=8)
    right.set_ylim(0.8, 5.2)
    right.set_title("Mood (1 = drained, 5 = energised)")
    right.set_xlabel("week starting")
    right.set_ylabel("mood")
    for ax in (left, right):
        ax.tick_params(axis="x", labelrotation=30, labelsize=8)
        week_ticks(ax, list(weekly.index))
    return Chart(fig, f"Entries per week and weekly mood for {who}")


def _date_formatter() -> Any:
    import matplotlib.dates as mdates

    return mdates.DateFormatter("%d %b")


def week_ticks(ax: Any, weeks: Any) -> None:
    """One tick per week bar (every other one past 12 weeks), labelled like "05 Oct"."""
    ticks = sorted(set(weeks))
    if len(ticks) > 12:
        ticks = ticks[::2]
    ax.set_xticks(ticks)
    ax.xaxis.set_major_formatter(_date_formatter())


def checkin_chart(trend: "pd.DataFrame", cad: "pd.DataFrame", days: int, gap_ends: list[str]) -> Chart:
    """Mood trend (left) and the gaps between check-ins, overdue ones in red (right); ``gap_ends`` labels the gaps."""
    fig, (left, right) = new_figure(2)
    if trend.empty:
        left.text(0.5, 0.5, "no mood shared", ha="center", va="center", transform=left.transAxes)
    else:
        left.plot(trend["week"], trend["mean"], marker="o", color="#3730a3")
    left.set_ylim(0.8, 5.2)
    left.set_title("Mood in shared entries")
    left.set_xlabel("week starting")
    left.set_ylabel("mood (1-5)")
    if not trend.empty:
        week_ticks(left, list(trend["week"]))
    if not cad.empty:
        colours = ["#dc2626" if o else "#6366f1" for o in cad["overdue"]]
        right.bar(range(len(cad)), cad["days"], color=colours)
        right.set_xticks(range(len(cad)), gap_ends)
    right.axhline(days, color="#555", linestyle="--", linewidth=1)
    right.set_title(f"Days between check-ins (limit {days})")
    right.set_xlabel("gap ending on (month-day)")
    right.set_ylabel("days")
    for ax in (left, right):
        ax.tick_params(axis="x", labelrotation=30, labelsize=8)
    return Chart(fig, "Mood trend and days between check-ins")


def participation_chart(weekly: "pd.DataFrame", k: int, participants: int) -> Chart | Block:
    """People writing per week; suppressed weeks drawn as empty grey outlines, the cohort's size as a line."""
    if weekly.empty:
        return note("No entries in this period.")
    fig, (ax,) = new_figure(1)
    shown = weekly[~weekly["suppressed"]]
    hidden = weekly[weekly["suppressed"]]
    ax.bar(shown["week"], shown["people"].astype(float), width=5, color="#6366f1", label="people who wrote")
    if not hidden.empty:
        ax.bar(hidden["week"], [k] * len(hidden), width=5, fill=False, edgecolor="#999", hatch="//",
               label=f"fewer than {k} (not shown)")
    ax.axhline(participants, color="#555", linestyle="--", linewidth=1, label="participants")
    ax.set_title("People who wrote at least one entry, per week")
    ax.set_xlabel("week starting")
    ax.set_ylabel("people")
    ax.yaxis.get_major_locator().set_params(integer=True)
    week_ticks(ax, list(weekly["week"]))
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, fontsize=8)
    return Chart(fig, "People who wrote an entry, per week")


def mood_chart(mood: "pd.DataFrame", k: int) -> Chart | Block:
    """Weekly mean and median mood (left) and people per mood band (right), from :func:`~workbook.analytics.mood_by_week`."""
    mood = mood[mood["people"].notna()] if not mood.empty else mood
    if mood.empty:
        return note(f"No week had {k} or more people recording a mood.")
    fig, (left, right) = new_figure(2)
    weeks = list(mood["week"])
    left.plot(weeks, mood["mean"].astype(float), marker="o", color="#3730a3", label="mean")
    left.plot(weeks, mood["median"].astype(float), marker="s", linestyle=":", color="#6366f1", label="median")
    left.set_ylim(0.8, 5.2)
    left.set_title("Average mood (1 = drained, 5 = energised)")
    left.set_xlabel("week starting")
    left.set_ylabel("mood")
    left.legend(loc="lower right", frameon=False, fontsize=8)
    colours = ["#f97316", "#facc15", "#22c55e"]
    bottom = [0.0] * len(mood)
    for (band, label), colour in zip(analytics.MOOD_BANDS.items(), colours):
        vals = [0.0 if is_suppressed(v) else float(v) for v in mood[band]]
        right.bar(weeks, vals, bottom=bottom, width=5, color=colour, label=label)
        bottom = [b + v for b, v in zip(bottom, vals)]
    hidden = [0.0 if is_suppressed(v) else float(v) for v in mood["hidden"]]
    if any(hidden):
        right.bar(weeks, hidden, bottom=bottom, width=5, color="#e5e7eb", hatch="//", edgecolor="#9ca3af",
                  label="small groups, not shown")
    right.set_title("People by mood band")
    right.set_xlabel("week starting")
    right.set_ylabel("people")
    right.yaxis.get_major_locator().set_params(integer=True)
    right.set_ylim(0, max(b + h for b, h in zip(bottom, hidden)) * 1.45 + 1)  # room for the legend
    right.legend(loc="upper left", ncol=2, frameon=False, fontsize=7)
    for ax in (left, right):
        ax.tick_params(axis="x", labelrotation=30, labelsize=8)
        week_ticks(ax, weeks)
    return Chart(fig, "Weekly mean mood, and people per mood band per week")
