"""The schema as SQLAlchemy Core tables: the single source the queries are written against.

Migrations in ``migrations/versions`` create exactly these tables (a test compares them);
never call ``metadata.create_all`` on a real database.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UTCDateTime(sa.types.TypeDecorator[dt.datetime]):
    """Timestamps stored as naive UTC, returned as aware UTC, on every backend.

    SQLite has no time zone type; storing naive UTC everywhere keeps one code path
    and makes ordering by string on SQLite correct.
    """

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: sa.Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; pass an aware datetime (UTC)")
        return value.astimezone(dt.timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: dt.datetime | None, dialect: sa.Dialect) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.timezone.utc)


JSONType: Any = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _ts(name: str, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(name, UTCDateTime(), nullable=nullable)


cohorts = sa.Table(
    "cohorts", metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("timezone", sa.String(64), nullable=False),
    sa.Column("min_group_size", sa.Integer, nullable=False),
    sa.Column("default_visibility", sa.String(16), nullable=False),
    sa.Column("settings", JSONType, nullable=False),
    _ts("created_at"), _ts("updated_at"),
)

people = sa.Table(
    "people", metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("email", sa.String(320), nullable=False),
    _ts("created_at"), _ts("updated_at"),
)

memberships = sa.Table(
    "memberships", metadata,
    sa.Column("cohort_id", sa.String(64), sa.ForeignKey("cohorts.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("person_id", sa.String(64), sa.ForeignKey("people.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("coach_id", sa.String(64), nullable=True),
    sa.Column("skills", JSONType, nullable=False),
    sa.Column("aspirations", JSONType, nullable=False),
    sa.Column("timezone", sa.String(64), nullable=False),
    sa.Column("languages", JSONType, nullable=False),
    sa.Column("capacity", sa.Integer, nullable=False),
    sa.Column("manager", sa.String(64), nullable=False, server_default=""),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    _ts("created_at"), _ts("updated_at"),
    _ts("coach_since", nullable=True),  # 0005: when the roster's coach column last named this coach
)

exercise_snapshots = sa.Table(
    "exercise_snapshots", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("exercise_id", sa.String(64), nullable=False),
    sa.Column("digest", sa.String(64), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("definition", JSONType, nullable=False),
    _ts("created_at"),
    sa.UniqueConstraint("exercise_id", "digest", name="uq_exercise_snapshots_exercise_id_digest"),
)

sessions = sa.Table(
    "sessions", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("cohort_id", sa.String(64), sa.ForeignKey("cohorts.id", ondelete="CASCADE"), nullable=False),
    sa.Column("exercise_id", sa.String(64), nullable=False),
    sa.Column("snapshot_id", sa.Integer, sa.ForeignKey("exercise_snapshots.id"), nullable=False),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("facilitator_id", sa.String(64), sa.ForeignKey("people.id"), nullable=True),
    _ts("opens_at"), _ts("closes_at", nullable=True),
    _ts("created_at"),
)

entries = sa.Table(
    "entries", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("cohort_id", sa.String(64), sa.ForeignKey("cohorts.id", ondelete="CASCADE"), nullable=False),
    sa.Column("author_id", sa.String(64), sa.ForeignKey("people.id", ondelete="CASCADE"), nullable=False),
    sa.Column("exercise_id", sa.String(64), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("snapshot_id", sa.Integer, sa.ForeignKey("exercise_snapshots.id"), nullable=False),
    sa.Column("session_id", sa.Integer, sa.ForeignKey("sessions.id", ondelete="SET NULL"), nullable=True),
    sa.Column("visibility", sa.String(16), nullable=False),
    sa.Column("answers", JSONType, nullable=False),
    sa.Column("mood", sa.Integer, nullable=True),
    sa.Column("client_id", sa.String(64), nullable=True),
    sa.Column("revision", sa.Integer, nullable=False, server_default="1"),
    _ts("created_at"), _ts("updated_at"),
    sa.UniqueConstraint("author_id", "client_id", name="uq_entries_author_id_client_id"),
    sa.Index("ix_entries_author", "cohort_id", "author_id", "created_at"),
    sa.Index("ix_entries_cohort_created", "cohort_id", "created_at"),
)

entry_revisions = sa.Table(
    "entry_revisions", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("entry_id", sa.Integer, sa.ForeignKey("entries.id", ondelete="CASCADE"), nullable=False),
    sa.Column("revision", sa.Integer, nullable=False),
    sa.Column("answers", JSONType, nullable=False),
    sa.Column("visibility", sa.String(16), nullable=False),
    sa.Column("edited_by", sa.String(64), nullable=False),
    _ts("created_at"),
    sa.UniqueConstraint("entry_id", "revision", name="uq_entry_revisions_entry_id_revision"),
)

access_tokens = sa.Table(
    "access_tokens", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("person_id", sa.String(64), sa.ForeignKey("people.id", ondelete="CASCADE"), nullable=False),
    sa.Column("cohort_id", sa.String(64), sa.ForeignKey("cohorts.id", ondelete="CASCADE"), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    _ts("created_at"), _ts("expires_at", nullable=True), _ts("revoked_at", nullable=True),
    sa.Index("ix_access_tokens_person", "cohort_id", "person_id"),
)

# --- revision 0002: mentoring, retro, recognition -----------------------------------------

pairings = sa.Table(
    "pairings", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("cohort_id", sa.String(64), sa.ForeignKey("cohorts.id", ondelete="CASCADE"), nullable=False),
    sa.Column("coach_id", sa.String(64), sa.ForeignKey("people.id", ondelete="CASCADE"), nullable=False),
    sa.Column("mentee_id", sa.String(64), sa.ForeignKey("people.id", ondelete="CASCADE"), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("score", sa.Float, nullable=True),
    sa.Column("reasons", JSONType, nullable=False),
    _ts("created_at"),
    sa.UniqueConstraint("cohort_id", "mentee_id", "coach_id", name="uq_pairings_cohort_id_mentee_coach"),
)

comments = sa.Table(
    "comments", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("entry_id", sa.Integer, sa.ForeignKey("entries.id", ondelete="CASCADE"), nullable=False),
    sa.Column("author_id", sa.String(64), sa.ForeignKey("people.id", ondelete="CASCADE"), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    _ts("created_at"), _ts("released_at", nullable=True),
    sa.Index("ix_comments_entry", "entry_id"),
)

retro_groups = sa.Table(
    "retro_groups", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("session_id", sa.Integer, sa.ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False),
    sa.Column("title", sa.String(200), nullable=False),
    _ts("created_at"),
)

retro_cards = sa.Table(
    "retro_cards", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("entry_id", sa.Integer, sa.ForeignKey("entries.id", ondelete="CASCADE"), nullable=False),
    sa.Column("session_id", sa.Integer, sa.ForeignKey("sessions.id", ondelete="CASCADE"), nullable=True),
    sa.Column("column_id", sa.String(64), nullable=False),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("group_id", sa.Integer, sa.ForeignKey("retro_groups.id", ondelete="SET NULL"), nullable=True),
    sa.Index("ix_retro_cards_entry", "entry_id"),
)

retro_votes = sa.Table(
    "retro_votes", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("card_id", sa.Integer, sa.ForeignKey("retro_cards.id", ondelete="CASCADE"), nullable=False),
    sa.Column("voter_id", sa.String(64), sa.ForeignKey("people.id", ondelete="CASCADE"), nullable=False),
    _ts("created_at"),
    # 0004: a vote is on a card, or on a group (group_id set; card_id is then one card of that group,
    # so the erasure of a voter or of a card's author reaches it like any other vote). Each of a
    # voter's votes in a retro takes a numbered slot: (session, voter, slot) is unique, so the
    # database itself refuses a vote that two writers would both count as the voter's n-th.
    sa.Column("session_id", sa.Integer, sa.ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False),
    sa.Column("group_id", sa.Integer, sa.ForeignKey("retro_groups.id", ondelete="CASCADE"), nullable=True),
    sa.Column("slot", sa.Integer, nullable=False),
    sa.UniqueConstraint("session_id", "voter_id", "slot", name="uq_retro_votes_session_voter_slot"),
    sa.CheckConstraint("slot >= 1", name="slot_positive"),
    sa.Index("ix_retro_votes_card", "card_id"),
    sa.Index("ix_retro_votes_group", "group_id"),
)

action_items = sa.Table(
    "action_items", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("cohort_id", sa.String(64), sa.ForeignKey("cohorts.id", ondelete="CASCADE"), nullable=False),
    sa.Column("session_id", sa.Integer, sa.ForeignKey("sessions.id", ondelete="SET NULL"), nullable=True),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("owner_id", sa.String(64), sa.ForeignKey("people.id", ondelete="SET NULL"), nullable=True),
    sa.Column("due", sa.Date, nullable=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("carried_from", sa.Integer, nullable=True),
    _ts("created_at"), _ts("updated_at"),
)

goals = sa.Table(
    "goals", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("cohort_id", sa.String(64), sa.ForeignKey("cohorts.id", ondelete="CASCADE"), nullable=False),
    sa.Column("person_id", sa.String(64), sa.ForeignKey("people.id", ondelete="CASCADE"), nullable=False),
    sa.Column("title", sa.String(300), nullable=False),
    sa.Column("target_date", sa.Date, nullable=True),
    sa.Column("progress", sa.Integer, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    _ts("created_at"), _ts("updated_at"),
    sa.Index("ix_goals_person", "cohort_id", "person_id"),
    # 0005: SMART goals (the title is the "what"), who proposed it and when the other side agreed
    sa.Column("measure", sa.Text, nullable=False, server_default=""),
    sa.Column("proposed_by", sa.String(64), nullable=True),
    _ts("agreed_at", nullable=True),
)

goal_progress = sa.Table(
    "goal_progress", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("goal_id", sa.Integer, sa.ForeignKey("goals.id", ondelete="CASCADE"), nullable=False),
    sa.Column("entry_id", sa.Integer, sa.ForeignKey("entries.id", ondelete="SET NULL"), nullable=True),
    sa.Column("progress", sa.Integer, nullable=False),
    sa.Column("note", sa.Text, nullable=False),
    _ts("created_at"),
)

kudos = sa.Table(
    "kudos", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("cohort_id", sa.String(64), sa.ForeignKey("cohorts.id", ondelete="CASCADE"), nullable=False),
    sa.Column("from_id", sa.String(64), sa.ForeignKey("people.id", ondelete="CASCADE"), nullable=False),
    sa.Column("to_id", sa.String(64), sa.ForeignKey("people.id", ondelete="CASCADE"), nullable=False),
    sa.Column("message", sa.Text, nullable=False),
    _ts("created_at"),
    # 0005: "cohort" (on the cohort's kudos wall) or "receiver" (only the person thanked)
    sa.Column("visibility", sa.String(16), nullable=False, server_default="receiver"),
)

milestones = sa.Table(
    "milestones", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("cohort_id", sa.String(64), sa.ForeignKey("cohorts.id", ondelete="CASCADE"), nullable=False),
    sa.Column("person_id", sa.String(64), sa.ForeignKey("people.id", ondelete="CASCADE"), nullable=False),
    sa.Column("title", sa.String(300), nullable=False),
    sa.Column("entry_id", sa.Integer, sa.ForeignKey("entries.id", ondelete="SET NULL"), nullable=True),
    _ts("achieved_at"),
    # 0005: the rule that recorded it (one milestone per rule and person), or who recorded it by hand
    sa.Column("rule", sa.String(64), nullable=True),
    sa.Column("recorded_by", sa.String(64), nullable=True),
    sa.Column("due", sa.Date, nullable=True),
    sa.Index("ix_milestones_rule", "cohort_id", "person_id", "rule", unique=True),
)

# --- revision 0004: live retros (phase, timer, settings, change marker; action-item history) --

# One row per retro session: where it stands, and ``revision``, the change marker live pages poll
# (bumped in the same transaction as every change to the retro; a primary-key lookup to read).
retro_state = sa.Table(
    "retro_state", metadata,
    sa.Column("session_id", sa.Integer, sa.ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("phase", sa.String(16), nullable=False),
    _ts("phase_started_at"), _ts("phase_ends_at", nullable=True),
    sa.Column("settings", JSONType, nullable=False),
    sa.Column("rejected", JSONType, nullable=False),  # group suggestions the facilitator turned down
    sa.Column("revision", sa.Integer, nullable=False),
    _ts("updated_at"),
)

# What happened to an action item, retro by retro: created, carried (moved to a later retro),
# done, dropped, reopened, edited. No person ids: an erasure need not look here.
action_events = sa.Table(
    "action_events", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("item_id", sa.Integer, sa.ForeignKey("action_items.id", ondelete="CASCADE"), nullable=False),
    sa.Column("session_id", sa.Integer, sa.ForeignKey("sessions.id", ondelete="SET NULL"), nullable=True),
    sa.Column("kind", sa.String(16), nullable=False),
    _ts("created_at"),
    sa.Index("ix_action_events_item", "item_id"),
)

# --- revision 0003: privacy (erasure record, exports log, xAPI pseudonym keys) ------------

# Who was erased, when and by whom; never what. ``person_hash`` is a SHA-256 of cohort and
# person id (see store/privacy.py for why a hash and not the id, and why not a keyed hash).
erasures = sa.Table(
    "erasures", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("cohort_id", sa.String(64), sa.ForeignKey("cohorts.id", ondelete="CASCADE"), nullable=False),
    sa.Column("person_hash", sa.String(64), nullable=False),
    sa.Column("erased_by", sa.String(200), nullable=True),
    _ts("erased_at"),
    sa.Column("readmitted_by", sa.String(200), nullable=True),
    _ts("readmitted_at", nullable=True),
    sa.Index("ix_erasures_person", "cohort_id", "person_hash"),
)

# Files ``workbook export`` wrote: an erasure lists the ones made before it that still exist.
# ``person_hash`` is set for one person's own export (it holds only them), None for a cohort export.
exports = sa.Table(
    "exports", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("cohort_id", sa.String(64), sa.ForeignKey("cohorts.id", ondelete="CASCADE"), nullable=False),
    sa.Column("format", sa.String(16), nullable=False),
    sa.Column("path", sa.Text, nullable=False),
    sa.Column("entries", sa.Integer, nullable=False),
    sa.Column("person_hash", sa.String(64), nullable=True),
    _ts("created_at"),
    sa.Index("ix_exports_cohort", "cohort_id", "created_at"),
)

# The secret behind a cohort's xAPI pseudonyms: stable across exports, never exported.
pseudonym_keys = sa.Table(
    "pseudonym_keys", metadata,
    sa.Column("cohort_id", sa.String(64), sa.ForeignKey("cohorts.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("secret", sa.String(64), nullable=False),
    _ts("created_at"),
)

# --- revision 0005: mentoring (check-in schedule, pulse, notices, last visits) --------------

# The next check-in date a pair's coach (or a facilitator) scheduled: it overrides the cadence.
checkin_plans = sa.Table(
    "checkin_plans", metadata,
    sa.Column("cohort_id", sa.String(64), sa.ForeignKey("cohorts.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("coach_id", sa.String(64), sa.ForeignKey("people.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("mentee_id", sa.String(64), sa.ForeignKey("people.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("next_date", sa.Date, nullable=False),
    sa.Column("set_by", sa.String(64), nullable=False),
    _ts("updated_at"),
)

# The one-question pulse after a pair's first check-in: once per pair.
pulses = sa.Table(
    "pulses", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("cohort_id", sa.String(64), sa.ForeignKey("cohorts.id", ondelete="CASCADE"), nullable=False),
    sa.Column("coach_id", sa.String(64), sa.ForeignKey("people.id", ondelete="CASCADE"), nullable=False),
    sa.Column("mentee_id", sa.String(64), sa.ForeignKey("people.id", ondelete="CASCADE"), nullable=False),
    sa.Column("answer", sa.String(32), nullable=False),
    _ts("created_at"),
    sa.Index("ix_pulses_pair", "cohort_id", "mentee_id", "coach_id", unique=True),
)

# What a person is told on their home page (a comment released to them, kudos, a milestone).
# ``actor_id`` is whoever caused it (erasing them erases the notice); the text names no content.
notices = sa.Table(
    "notices", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("cohort_id", sa.String(64), sa.ForeignKey("cohorts.id", ondelete="CASCADE"), nullable=False),
    sa.Column("person_id", sa.String(64), sa.ForeignKey("people.id", ondelete="CASCADE"), nullable=False),
    sa.Column("actor_id", sa.String(64), nullable=True),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("text", sa.String(300), nullable=False),
    sa.Column("link_page", sa.String(64), nullable=False),
    _ts("created_at"), _ts("seen_at", nullable=True),
    sa.Index("ix_notices_person", "cohort_id", "person_id"),
)

# A person's visits of a page: the latest and the one before ("new since my last visit").
visits = sa.Table(
    "visits", metadata,
    sa.Column("cohort_id", sa.String(64), sa.ForeignKey("cohorts.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("person_id", sa.String(64), sa.ForeignKey("people.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("page", sa.String(64), primary_key=True),
    _ts("last_at"), _ts("previous_at", nullable=True),
)

# --- revision 0006: mail (what was sent to whom; never a link's key) ----------------------

# One row per (kind, recipient, what it was about): the idempotency key that keeps a re-run of
# `workbook send` from mailing anyone twice. ``about`` names a period or an object ("home",
# "week 2026-01-05", "comment 12"), never content; one message may cover several rows.
sent_messages = sa.Table(
    "sent_messages", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("cohort_id", sa.String(64), sa.ForeignKey("cohorts.id", ondelete="CASCADE"), nullable=False),
    sa.Column("person_id", sa.String(64), sa.ForeignKey("people.id", ondelete="CASCADE"), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("about", sa.String(200), nullable=False),
    sa.Column("address", sa.String(320), nullable=False),
    sa.Column("message_id", sa.String(255), nullable=False),
    _ts("sent_at"),
    sa.UniqueConstraint("cohort_id", "kind", "person_id", "about", name="uq_sent_messages_cohort_id_kind_person_about"),
)
