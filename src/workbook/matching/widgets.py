"""The facilitator's matching page: a proposal table with swap, fix and apply controls, and a
score heat map. Widget factories over :mod:`workbook.matching.cohort`; no rules here.

Tests drive the widgets as a person would, without a browser: set ``.value`` on the
dropdowns, ``.click()`` a button, and assert on the store.
"""
from __future__ import annotations

import math
import textwrap
from typing import TYPE_CHECKING

import ipywidgets as widgets

from ..html import esc
import numpy as np

from ..errors import WorkbookError
from . import cohort as matching
from .model import MatchOptions, MatchResult

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from ..store import Store

_TABLE_STYLE = (
    "<style>.wb-match td,.wb-match th{padding:2px 8px;text-align:left;vertical-align:top}"
    ".wb-match tr.fixed td{font-weight:600}.wb-match tr.unmatched td{color:#9a3412}</style>"
)



def _table_html(result: MatchResult, names: dict[str, str]) -> str:
    frame = matching.result_frame(result, names)
    rows = []
    for r in frame.itertuples():
        if r.matched:
            cls = "fixed" if r.fixed else ""
            score = f"{r.score:.2f}{' (fixed)' if r.fixed else ''}"
            rows.append(f"<tr class='{cls}'><td>{esc(r.mentor)}</td><td>{esc(r.mentee)}</td>"
                        f"<td>{score}</td><td>{esc(r.reasons)}</td></tr>")
        else:
            rows.append(f"<tr class='unmatched'><td><i>unmatched</i></td><td>{esc(r.mentee)}</td>"
                        f"<td></td><td>{esc(r.reasons)}</td></tr>")
    return (f"{_TABLE_STYLE}<table class='wb-match'><thead><tr><th>Mentor</th><th>Mentee</th><th>Score</th>"
            f"<th>Reasons</th></tr></thead><tbody>{''.join(rows)}</tbody></table>")


class MatchingPanel:
    """A proposal for one cohort that the facilitator can adjust and then store.

    ``result`` is the current proposal; the Swap, Fix and Unfix buttons change it (in memory,
    re-scored and re-checked by :mod:`workbook.matching.cohort`), Apply stores it, and
    Propose again starts over from the store. Problems show in ``status``; nothing changes.
    """

    def __init__(self, store: "Store", cohort_id: str, options: MatchOptions | None = None, *,
                 keep_existing: bool = False) -> None:
        self.store, self.cohort_id = store, cohort_id
        self.options = options or MatchOptions()
        self.keep_existing = keep_existing
        self.names = matching.names_of(store, cohort_id)
        self.result = matching.propose(store, cohort_id, self.options, keep_existing=keep_existing)
        wide = widgets.Layout(width="420px")
        self.summary = widgets.HTML()
        self.table = widgets.HTML()
        self.mentee_a = widgets.Dropdown(description="Swap", layout=wide)
        self.mentee_b = widgets.Dropdown(description="with", layout=wide)
        self.swap_button = widgets.Button(description="Swap mentors", icon="exchange")
        self.swap_button.on_click(lambda _: self.swap())
        self.pair = widgets.Dropdown(description="Pair", layout=wide)
        self.fix_button = widgets.Button(description="Fix pair", icon="lock")
        self.fix_button.on_click(lambda _: self.fix(True))
        self.unfix_button = widgets.Button(description="Unfix", icon="unlock")
        self.unfix_button.on_click(lambda _: self.fix(False))
        self.apply_button = widgets.Button(description="Apply", button_style="primary", icon="check",
                                           tooltip="Store these pairs (fixed pairs stay fixed)")
        self.apply_button.on_click(lambda _: self.apply())
        self.repropose_button = widgets.Button(description="Propose again", icon="refresh",
                                               tooltip="Discard the changes and propose from the store")
        self.repropose_button.on_click(lambda _: self.repropose())
        self.status = widgets.HTML()
        self.widget = widgets.VBox([
            self.summary, self.table,
            widgets.HBox([self.mentee_a, self.mentee_b, self.swap_button]),
            widgets.HBox([self.pair, self.fix_button, self.unfix_button]),
            widgets.HBox([self.apply_button, self.repropose_button]),
            self.status,
        ])
        self._show()

    def _name(self, person_id: str) -> str:
        return f"{self.names.get(person_id, person_id)} ({person_id})"

    def _show(self) -> None:
        """Redraw the summary, the table and the choices from ``result``."""
        r = self.result
        self.summary.value = f"<b>{esc(matching.summary(r))}</b>"
        self.table.value = _table_html(r, self.names)
        matched = [(f"{self._name(p.mentee_id)} ← {self.names.get(p.mentor_id, p.mentor_id)}", p.mentee_id)
                   for p in sorted(r.pairs, key=lambda p: self.names.get(p.mentee_id, p.mentee_id))]
        unmatched = [(f"{self._name(u.mentee_id)} (unmatched)", u.mentee_id) for u in r.unmatched]
        keep_a, keep_b, keep_pair = self.mentee_a.value, self.mentee_b.value, self.pair.value
        self.mentee_a.options = matched
        self.mentee_b.options = matched + unmatched
        self.pair.options = [(f"{self.names.get(p.mentor_id, p.mentor_id)} – {self.names.get(p.mentee_id, p.mentee_id)}"
                              f"{' (fixed)' if p.fixed else ''}", f"{p.mentor_id}:{p.mentee_id}") for p in r.pairs]
        # Keep what the facilitator had picked when it is still there.
        for dropdown, old in ((self.mentee_a, keep_a), (self.mentee_b, keep_b), (self.pair, keep_pair)):
            values = [v for _, v in dropdown.options]
            dropdown.value = old if old in values else (values[0] if values else None)

    def _say(self, text: str, ok: bool = True) -> None:
        colour = "#166534" if ok else "#b91c1c"
        body = esc(text).replace("\n", "<br>")
        self.status.value = f"<span style='color:{colour}'>{body}</span>"

    def swap(self) -> None:
        """Exchange the mentors of the two chosen mentees."""
        a, b = self.mentee_a.value, self.mentee_b.value
        try:
            self.result = matching.swap(self.store, self.cohort_id, self.result, a, b, self.options)
        except WorkbookError as exc:
            self._say(str(exc), ok=False)
            return
        self._show()
        self._say(f"Swapped {self._name(a)} and {self._name(b)}. Press Apply to store.")

    def fix(self, fixed: bool = True) -> None:
        """Fix (or unfix) the chosen pair: a fixed pair is kept by every later matching."""
        mentor_id, _, mentee_id = (self.pair.value or ":").partition(":")
        try:
            self.result = matching.fix_pair(self.result, mentor_id, mentee_id, fixed=fixed)
        except WorkbookError as exc:
            self._say(str(exc), ok=False)
            return
        self._show()
        verb = "Fixed" if fixed else "Unfixed"
        self._say(f"{verb} {self._name(mentor_id)} – {self._name(mentee_id)}. Press Apply to store.")

    def apply(self) -> None:
        """Store the proposal as the cohort's pairings."""
        try:
            stored = matching.apply(self.store, self.cohort_id, self.result)
        except WorkbookError as exc:
            self._say(str(exc), ok=False)
            return
        fixed = sum(p.status == "fixed" for p in stored)
        self._say(f"Applied: {len(stored)} pairings stored for {self.cohort_id} ({fixed} fixed).")

    def repropose(self) -> None:
        """Discard the changes and propose again from what is stored."""
        try:
            self.result = matching.propose(self.store, self.cohort_id, self.options, keep_existing=self.keep_existing)
        except WorkbookError as exc:
            self._say(str(exc), ok=False)
            return
        self._show()
        self._say("Proposed again from the store.")


def matching_panel(store: "Store", cohort_id: str, options: MatchOptions | None = None, *,
                   keep_existing: bool = False) -> MatchingPanel:
    """The proposal table with swap, fix and apply controls; display ``panel.widget``."""
    return MatchingPanel(store, cohort_id, options, keep_existing=keep_existing)


def _rows_to_show(result: MatchResult | None, mentee_ids: list[str], mentor_ids: list[str], top: int) -> list[str]:
    """Mentee ids to draw, in order: grouped by proposed mentor, unmatched last.

    When there are more than ``top``, the ones that most need a look are kept: the unmatched,
    then the lowest proposed scores.
    """
    if result is None:
        return mentee_ids[:top]
    score = {p.mentee_id: p.score for p in result.pairs}
    mentor_of = {p.mentee_id: p.mentor_id for p in result.pairs}
    chosen = set(sorted(mentee_ids, key=lambda m: (m in score, score.get(m, 0.0), m))[:top])
    where = {m: k for k, m in enumerate(mentor_ids)}
    position = {m: k for k, m in enumerate(mentee_ids)}
    return sorted(chosen, key=lambda m: (where.get(mentor_of.get(m, ""), len(where)), position[m]))


def score_heatmap(store: "Store", cohort_id: str, options: MatchOptions | None = None,
                  result: MatchResult | None = None, *, top: int = 30, max_mentors: int = 40) -> "Figure":
    """A heat map of every mentee x mentor score, proposed pairs outlined.

    Grey cells are pairs a hard constraint forbids. With more than ``top`` mentees only
    ``top`` rows are drawn: the mentees who most need a look (unmatched, then the lowest
    proposed scores); with more than ``max_mentors`` mentors, the proposed mentors of those
    rows and then the mentors with the highest scores for them. The title says what is left out.
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    options = options or MatchOptions()
    mentors, mentees = matching.profiles_for(store, cohort_id)
    frame = matching.score_frame(store, cohort_id, options)
    ids_ee, ids_or = [p.id for p in mentees], [p.id for p in mentors]
    proposed = {(p.mentee_id, p.mentor_id): p.fixed for p in (result.pairs if result else ())}

    rows = _rows_to_show(result, ids_ee, ids_or, top)
    row_pos = [ids_ee.index(m) for m in rows]
    cols = list(ids_or)
    if len(cols) > max_mentors:
        wanted = list(dict.fromkeys(o for (e, o) in proposed if e in set(rows)))[:max_mentors]
        best = np.nan_to_num(frame.values[row_pos], nan=-1.0).max(axis=0)
        for j in np.argsort(-best, kind="stable"):
            if len(wanted) >= max_mentors:
                break
            if ids_or[j] not in wanted:
                wanted.append(ids_or[j])
        cols = [o for o in ids_or if o in set(wanted)]
    col_pos = [ids_or.index(o) for o in cols]
    values = frame.values[np.ix_(row_pos, col_pos)] if rows and cols else np.zeros((len(rows), len(cols)))

    best_score = options.weights.best_score or 1.0
    cmap = plt.get_cmap("YlGnBu").with_extremes(bad="#d4d4d4")
    longest = max((len(str(x)) for x in frame.index), default=10) + 16  # room for "(unmatched)" / "(→ Name)"
    width = min(max(7.0, 2.0 + 0.075 * longest + 0.95 * len(cols)), 24.0)
    height = min(1.8 + 0.42 * len(rows), 30.0)
    fig, ax = plt.subplots(figsize=(width, height), layout="constrained")
    image = ax.imshow(np.ma.masked_invalid(values), cmap=cmap, vmin=0.0, vmax=best_score, aspect="auto")
    ax.set_xticks(range(len(cols)), [frame.columns[j] for j in col_pos], rotation=30, ha="right")
    mentor_of = {e: o for e, o in proposed}
    mentor_label = dict(zip(ids_or, frame.columns))

    def row_label(i: int, mentee_id: str) -> str:
        if result is None:
            return str(frame.index[i])
        if mentee_id not in mentor_of:
            return f"{frame.index[i]} (unmatched)"
        if mentor_of[mentee_id] not in cols:  # the proposed mentor's column is not drawn
            return f"{frame.index[i]} (→ {mentor_label[mentor_of[mentee_id]]})"
        return str(frame.index[i])

    ax.set_yticks(range(len(rows)), [row_label(i, m) for i, m in zip(row_pos, rows)])
    ax.set_xlabel("Mentor")
    ax.set_ylabel("Mentee")
    ax.tick_params(length=0)
    ax.set_xticks(np.arange(-0.5, len(cols), 1), minor=True)
    ax.set_yticks(np.arange(-0.5, len(rows), 1), minor=True)
    ax.grid(which="minor", color="white", linewidth=1.5)
    ax.tick_params(which="minor", length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    if len(rows) * len(cols) <= 900:  # numbers stay readable; beyond that the colour says it
        for r, row in enumerate(values):
            for c, v in enumerate(row):
                if not math.isnan(v):
                    dark = v / best_score > 0.6
                    chosen = (rows[r], cols[c]) in proposed
                    ax.text(c, r, f"{v:.1f}", ha="center", va="center", fontsize=10 if chosen else 9,
                            fontweight="bold" if chosen else "normal", color="white" if dark else "#1f2937")
    for (mentee_id, mentor_id), fixed in proposed.items():
        if mentee_id in rows and mentor_id in cols:
            # Inset and above the white grid, so the outline is never hidden by it.
            ax.add_patch(Rectangle((cols.index(mentor_id) - 0.44, rows.index(mentee_id) - 0.42), 0.88, 0.84,
                                   fill=False, edgecolor="#c026d3" if fixed else "#f97316", linewidth=3,
                                   zorder=5))
    bar = fig.colorbar(image, ax=ax, shrink=0.8)
    bar.set_label(f"score (best possible {best_score:g})")
    title = f"Match scores, {cohort_id}"
    left = []
    if len(rows) < len(ids_ee):
        left.append(f"{len(rows)} of {len(ids_ee)} mentees (unmatched and lowest-scored first)")
    if len(cols) < len(ids_or):
        left.append(f"{len(cols)} of {len(ids_or)} mentors")
    note = "grey: not allowed (hard constraint)"
    if proposed:
        note += "; orange outline: proposed pair" + ("; purple outline: fixed pair" if any(proposed.values()) else "")
    chars = max(40, int(width * 12))  # about 12 characters per inch at this size; wrap, never cut
    text = "\n".join(textwrap.fill(t, chars) for t in (title + (": " + ", ".join(left) if left else ""), note))
    fig.suptitle(text, fontsize=11, x=0.01, ha="left")
    return fig


__all__ = ["MatchingPanel", "matching_panel", "score_heatmap"]
