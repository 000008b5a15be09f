"""Realistic sample data for a cohort, generated deterministically from a seed.

Used by ``make demo`` and by the tests: several weeks of reflections, mentorship check-ins,
retro cards and votes, goals and their progress, coach comments, kudos and milestones.
"""
from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .store.entries import EntryDraft

if TYPE_CHECKING:
    from .exercises import Exercise, Prompt
    from .store import Store

DEFAULT_START = dt.datetime(2026, 9, 28, 8, 0, tzinfo=dt.timezone.utc)  # a Monday
REFLECTION_ROTATION = ("gibbs", "what-so-what-now-what", "kolb", "after-action-review", "failure-journal",
                       "transition", "gibbs", "milestone")
RETRO_ROTATION = ("start-stop-continue", "4ls", "mad-sad-glad", "sailboat")

SITUATIONS = [
    "the quarterly planning workshop with the regional leads",
    "my first one-to-one with a new team member",
    "presenting the budget proposal to the steering group",
    "a tense handover between our team and operations",
    "the customer escalation on Tuesday",
    "facilitating the team retrospective for the first time",
    "negotiating scope with the product owner",
    "giving difficult feedback to a senior colleague",
    "the cross-team data migration kickoff",
    "running the hiring panel for the analyst role",
]
FEELINGS = ["nervous at the start but calmer once we got going", "frustrated that we ran out of time",
            "energised by how engaged people were", "unsure whether I had pitched it at the right level",
            "proud of how the team handled the pressure", "tired, and a little defensive when challenged"]
INSIGHTS = ["I talk too much when I am anxious; asking one open question first changed the room",
            "preparing the three key messages in advance made the discussion much more focused",
            "people disagreed with the plan, not with me, once I separated the two",
            "silence after a question is useful; I rushed to fill it",
            "writing the decision down at the end avoided the usual confusion a week later",
            "I underestimated how much context the new people were missing"]
ACTIONS = ["ask one open question before giving my view", "send a written summary within 24 hours",
           "book a 15-minute prep slot before every steering meeting", "practise the opening with a colleague",
           "agree a decision owner at the start", "check in with quieter team members one to one",
           "timebox the agenda and protect the last ten minutes", "ask my coach for feedback on my next talk"]
RETRO_CARDS = {
    "start": ["Sharing agendas a day in advance", "Pair reflections after sessions", "Rotating the facilitator"],
    "stop": ["Overrunning the morning sessions", "Jumping to solutions too early", "Side conversations in chat"],
    "continue": ["The small-group exercises", "Coach check-ins every two weeks", "Real cases from our work"],
    "liked": ["The role-play on difficult conversations", "Mixing teams in breakouts", "Short reading lists"],
    "learned": ["How to structure feedback", "Stakeholder mapping", "The neutral zone in transitions"],
    "lacked": ["Time to practise", "Examples from operations", "A shared notes page"],
    "longed_for": ["A session on negotiation", "More peer coaching", "A visit to another site"],
    "mad": ["Room booking fell through twice", "Pre-reading arrived late"],
    "sad": ["Two people left the programme", "We skipped the feedback round"],
    "glad": ["Everyone joined the final session", "Honest conversations in small groups", "Great coaches"],
    "wind": ["Support from senior leaders", "A motivated cohort", "Good coaches"],
    "anchors": ["Busy calendars", "Too many tools for notes", "Travel between sites"],
    "rocks": ["Reorganisation rumours", "Budget freeze next quarter"],
    "island": ["Everyone leading one real change by spring", "A peer network that lasts"],
}
GOALS = ["Run a team meeting without overrunning", "Give feedback within a week of the event",
         "Present to the steering group with confidence", "Build a stakeholder map for my area",
         "Delegate one recurring task", "Coach a junior colleague through a project"]
MEASURES = ["My coach and I agree it happened, with an example", "Done three times, noted in my check-ins",
            "Feedback from two colleagues says it worked"]
COMMENTS = ["Great observation about separating the person from the plan. What would you do differently next time?",
            "I like the concrete action. How will you know it worked?",
            "This shows real progress since our last check-in.",
            "Try writing the three key messages before your next meeting and tell me how it went."]
KUDOS = ["Thanks for the honest feedback on my draft", "You made the breakout session so much better",
         "Great facilitation today", "Thanks for covering for me on Thursday"]


@dataclass(frozen=True)
class SampleSummary:
    """What :func:`generate_sample` stored."""

    entries: int
    sessions: int
    comments: int
    goals: int
    votes: int
    kudos: int
    action_items: int


def _text(rng: random.Random, prompt: "Prompt") -> str:
    pid = prompt.id
    if pid in ("description", "what", "experience", "what_happened", "change", "milestone", "intended", "actual"):
        return f"During {rng.choice(SITUATIONS)}, {rng.choice(['I led', 'I joined', 'I prepared', 'I chaired'])} " \
               f"the discussion. {rng.choice(['It went mostly to plan.', 'It did not go as planned.', 'Some of it worked well.'])}"
    if pid in ("feelings", "neutral_zone", "endings"):
        return f"I felt {rng.choice(FEELINGS)}."
    if pid == "goal_progress":
        return rng.choice(["Good progress: I ran two meetings to time this fortnight.",
                           "Slower than hoped; the reorganisation took most of my week.",
                           "I delegated the weekly report and it went fine.",
                           "Half-way there: the stakeholder map is drafted, not yet reviewed."])
    if pid == "help_wanted":
        return rng.choice(["How to say no to a senior stakeholder without damaging the relationship.",
                           "Practising the steering group presentation.",
                           "Structuring feedback for someone more experienced than me.",
                           "Prioritising when everything is urgent."])
    if pid in ("analysis", "so_what", "why", "causes", "concepts", "lesson", "growth", "observations", "evaluation"):
        return f"Looking back, {rng.choice(INSIGHTS)}."
    return f"Next time I will {rng.choice(ACTIONS)}."


def _answer(rng: random.Random, prompt: "Prompt", mood: int) -> Any:
    if prompt.type == "scale":
        lo, hi = prompt.min or 1, prompt.max or 5
        return max(lo, min(hi, mood if prompt.id == "mood" else rng.randint(lo, hi)))
    if prompt.type == "choice":
        return rng.choice(list(prompt.options))
    if prompt.type == "list":
        if prompt.column:
            return rng.sample(RETRO_CARDS.get(prompt.id, ACTIONS), k=rng.randint(0, 2))
        return rng.sample(ACTIONS, k=rng.randint(1, 3))
    return _text(rng, prompt)


def _answers(rng: random.Random, exercise: "Exercise", mood: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for p in exercise.prompts:
        if p.required or p.id == "mood" or rng.random() < 0.8:
            value = _answer(rng, p, mood)
            if value in ([], ""):
                continue
            out[p.id] = value
    if exercise.kind == "retro" and not any(out.values()):
        col = exercise.columns[0]
        out[col.id] = [RETRO_CARDS.get(col.id, ACTIONS)[0]]
    return out


def generate_sample(store: "Store", cohort_id: str, *, seed: int = 7, weeks: int = 8,
                    start: dt.datetime = DEFAULT_START) -> SampleSummary:
    """Fill a cohort with ``weeks`` of realistic activity. The same seed gives the same data."""
    rng = random.Random(seed)
    # Draws added after 0.1 (goal measures, kudos audience) come from their own generator, so a seed
    # still yields the same entries, moods and votes as before.
    extra = random.Random(f"{seed}:extra")
    cohort = store.get_cohort(cohort_id)
    members = store.find_members(cohort_id)
    participants = [m for m in members if m.role == "participant"]
    facilitator = next((m.person_id for m in members if m.role == "facilitator"), None)
    drafts: list[EntryDraft] = []
    n_sessions = 0
    mood_base = {p.person_id: rng.randint(2, 4) for p in participants}
    engagement = {p.person_id: rng.uniform(0.45, 0.95) for p in participants}
    vis_choices = ["private"] * 2 + ["coach"] * 5 + ["cohort"] * 3
    # Mentoring through the API, as people would: a participant proposes a SMART goal, their coach
    # (or the facilitator when they have none) agrees it the next day.
    from . import goals as goals_api, kudos as kudos_api, milestones as milestones_api
    from .access import Viewer

    def viewer(person_id: str) -> Viewer:
        return Viewer(person_id, cohort_id, next(m.role for m in members if m.person_id == person_id))

    goals: dict[str, list[int]] = {}
    for p in participants:
        goals[p.person_id] = []
        agreer = next(iter(sorted(store.coaches_of(cohort_id, p.person_id))), facilitator)
        for g in rng.sample(GOALS, k=2):
            goal = goals_api.create_goal(store, viewer(p.person_id), p.person_id, g, measure=extra.choice(MEASURES),
                                         target_date=(start + dt.timedelta(weeks=weeks + 4)).date(), now=start)
            if agreer:
                goals_api.agree_goal(store, viewer(agreer), goal.id, now=start + dt.timedelta(days=1))
            goals[p.person_id].append(goal.id)
    retro_sessions = []
    for week in range(weeks):
        monday = start + dt.timedelta(weeks=week)
        ex_id = REFLECTION_ROTATION[week % len(REFLECTION_ROTATION)]
        session = store.add_session(cohort_id, ex_id, f"Week {week + 1}: {store.exercise(ex_id, cohort_id).title}",
                                    facilitator_id=facilitator, opens_at=monday,
                                    closes_at=monday + dt.timedelta(days=7))
        n_sessions += 1
        exercise = store.exercise(ex_id, cohort_id)
        for p in participants:
            trend = 1 if week > weeks // 2 and rng.random() < 0.5 else 0
            mood = max(1, min(5, mood_base[p.person_id] + trend + rng.choice([-1, 0, 0, 1])))
            if rng.random() < engagement[p.person_id]:
                at = monday + dt.timedelta(days=rng.randint(0, 5), hours=rng.randint(0, 9), minutes=rng.randint(0, 59))
                drafts.append(EntryDraft(p.person_id, ex_id, _answers(rng, exercise, mood), rng.choice(vis_choices),
                                         session.id, f"sample-{seed}-{week}-{p.person_id}-r", at))
            if p.coach_id and week % 2 == 1 and rng.random() < 0.85:
                at = monday + dt.timedelta(days=rng.randint(1, 4), hours=rng.randint(1, 8))
                checkin = store.exercise("mentorship-checkin", cohort_id)
                drafts.append(EntryDraft(p.person_id, "mentorship-checkin", _answers(rng, checkin, mood), "coach",
                                         None, f"sample-{seed}-{week}-{p.person_id}-c", at))
        if week % 2 == 1:
            rex = RETRO_ROTATION[(week // 2) % len(RETRO_ROTATION)]
            rs = store.add_session(cohort_id, rex, f"Retro, week {week + 1}", facilitator_id=facilitator,
                                   opens_at=monday + dt.timedelta(days=4), closes_at=monday + dt.timedelta(days=6))
            n_sessions += 1
            retro_sessions.append(rs)
            rexercise = store.exercise(rex, cohort_id)
            for p in participants:
                if rng.random() < 0.7:
                    drafts.append(EntryDraft(p.person_id, rex, _answers(rng, rexercise, 3), "cohort", rs.id,
                                             f"sample-{seed}-{week}-{p.person_id}-retro",
                                             monday + dt.timedelta(days=4, hours=rng.randint(1, 6))))
    stored = store.add_entries(cohort_id, drafts)

    comments = 0
    for e in stored:
        if e.visibility == "coach" and e.kind == "reflection" and rng.random() < 0.4:
            coach = next(iter(sorted(store.coaches_of(cohort_id, e.author_id))), None)
            if coach:
                store.add_comment(e.id, coach, rng.choice(COMMENTS), release=rng.random() < 0.6,
                                  at=e.created_at + dt.timedelta(days=1))
                comments += 1
        if e.kind == "checkin":
            for gid in goals[e.author_id]:
                prev = store.get_goal(gid).progress
                store.record_goal_progress(gid, e.author_id, min(100, prev + rng.choice([0, 10, 15, 25])),
                                           "from check-in", entry_id=e.id, at=e.created_at)

    votes = items = 0
    limit = int(cohort.settings.get("retro", {}).get("votes_per_person", 3))
    for rs in retro_sessions:
        cards = store.find_cards(rs.id)
        if not cards:
            continue
        for p in participants:
            for card in rng.sample(cards, k=min(len(cards), rng.randint(1, limit))):
                store.add_vote(card.id, p.person_id, limit)
                votes += 1
        top = store.find_cards(rs.id)[:2]
        for card in top:
            owner = rng.choice(participants).person_id
            store.add_action_item(cohort_id, f"Follow up: {card.text}", session_id=rs.id, owner_id=owner,
                                  due=(rs.opens_at + dt.timedelta(days=14)).date())
            items += 1
        for item in store.find_action_items(cohort_id, session_id=rs.id):
            if rng.random() < 0.4:
                store.set_action_status(item.id, "done")

    kudos = 0
    for _ in range(len(participants)):
        a, b = rng.sample(participants, k=2)
        kudos_api.give_kudos(store, viewer(a.person_id), b.person_id, rng.choice(KUDOS),
                             shared_with_cohort=extra.random() < 0.6,
                             now=start + dt.timedelta(days=rng.randint(0, weeks * 7 - 1)))
        kudos += 1
    end = start + dt.timedelta(weeks=weeks)
    for p in participants:  # the milestone rules, as after each save
        milestones_api.evaluate(store, cohort_id, p.person_id, now=end)
    for p in rng.sample(participants, k=max(1, len(participants) // 3)):
        by = next(iter(sorted(store.coaches_of(cohort_id, p.person_id))), facilitator)
        if by:
            milestones_api.record_milestone(store, viewer(by), p.person_id, "Led a team meeting using the new format",
                                            now=start + dt.timedelta(days=rng.randint(7, weeks * 7 - 1)))
    return SampleSummary(len(stored), n_sessions, comments, sum(len(g) for g in goals.values()), votes, kudos, items)
