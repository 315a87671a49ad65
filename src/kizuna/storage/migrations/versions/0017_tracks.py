"""tracks: learning tracks, modules, lessons, tasks, attachments and per-user task completions

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-29 06:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def _fk(table: str) -> sa.ForeignKey:
    return sa.ForeignKey(f"{table}.id", ondelete="CASCADE")


def upgrade() -> None:
    op.create_table(
        "learning_tracks",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("key", sa.String(64), nullable=False, unique=True),
        sa.Column("texts", sa.JSON(), nullable=False),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("unlock", sa.String(16), nullable=False),
        sa.Column("opens_at", sa.DateTime(), nullable=True),
        sa.Column("closes_at", sa.DateTime(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "learning_modules",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("track_id", sa.Integer(), _fk("learning_tracks"), nullable=False),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("texts", sa.JSON(), nullable=False),
        sa.Column("requires", sa.JSON(), nullable=False),
        sa.Column("opens_at", sa.DateTime(), nullable=True),
        sa.Column("closes_at", sa.DateTime(), nullable=True),
        sa.UniqueConstraint("track_id", "key", name="uq_learning_modules_track_key"),
    )
    op.create_index("ix_learning_modules_track_id", "learning_modules", ["track_id"])
    op.create_table(
        "learning_lessons",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("track_id", sa.Integer(), _fk("learning_tracks"), nullable=False),
        sa.Column("module_id", sa.Integer(), _fk("learning_modules"), nullable=False),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("texts", sa.JSON(), nullable=False),
        sa.Column("video", sa.JSON(), nullable=False),
        sa.UniqueConstraint("track_id", "key", name="uq_learning_lessons_track_key"),
    )
    op.create_index("ix_learning_lessons_track_id", "learning_lessons", ["track_id"])
    op.create_index("ix_learning_lessons_module_id", "learning_lessons", ["module_id"])
    op.create_table(
        "learning_tasks",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("track_id", sa.Integer(), _fk("learning_tracks"), nullable=False),
        sa.Column("lesson_id", sa.Integer(), _fk("learning_lessons"), nullable=False),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.Column("texts", sa.JSON(), nullable=False),
        sa.Column("choices", sa.JSON(), nullable=False),
        sa.Column("solution", sa.JSON(), nullable=False),
        sa.Column("challenge", sa.String(200), nullable=True),
        sa.UniqueConstraint("track_id", "key", name="uq_learning_tasks_track_key"),
    )
    op.create_index("ix_learning_tasks_track_id", "learning_tasks", ["track_id"])
    op.create_index("ix_learning_tasks_lesson_id", "learning_tasks", ["lesson_id"])
    op.create_index("ix_learning_tasks_challenge", "learning_tasks", ["challenge"])
    op.create_table(
        "learning_files",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("track_id", sa.Integer(), _fk("learning_tracks"), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.UniqueConstraint("track_id", "name", name="uq_learning_files_track_name"),
    )
    op.create_index("ix_learning_files_track_id", "learning_files", ["track_id"])
    op.create_table(
        "learning_task_completions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("task_id", sa.Integer(), _fk("learning_tasks"), nullable=False),
        sa.Column("user_id", sa.Integer(), _fk("users"), nullable=False),
        sa.Column("answered_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("task_id", "user_id", name="uq_learning_completions_task_user"),
    )
    op.create_index("ix_learning_task_completions_user_id", "learning_task_completions", ["user_id"])


def downgrade() -> None:
    op.drop_table("learning_task_completions")
    op.drop_table("learning_files")
    op.drop_table("learning_tasks")
    op.drop_table("learning_lessons")
    op.drop_table("learning_modules")
    op.drop_table("learning_tracks")
