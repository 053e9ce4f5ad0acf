"""Indexes for the worklist's sorts and filters, so that a page is read along an index instead
of sorting every lesion: status by probability, last study and (per status) next scan due;
treatments by date; lesions of a site by name.

Revision ID: 0002
Revises: 0001
Create Date: 2025-02-01
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

#: Name, table and columns of each index.
INDEXES = (
    ("ix_lesion_status_probability_lesion_id", "lesion_status", ["probability", "lesion_id"]),
    ("ix_lesion_status_last_study_lesion_id", "lesion_status", ["last_study", "lesion_id"]),
    ("ix_lesion_status_response_next_due", "lesion_status", ["response", "next_due"]),
    ("ix_treatments_date_lesion_id", "treatments", ["date", "lesion_id"]),
    ("ix_lesions_site_lesion_key", "lesions", ["site", "lesion_key"]),
)


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, table, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)
