"""event log: an index on (type, id) for readers of one kind of event

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 11:10:00
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_events_type_id", "events", ["type", "id"])


def downgrade() -> None:
    op.drop_index("ix_events_type_id", table_name="events")
