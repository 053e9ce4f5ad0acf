"""The clinic's record: patients, lesions, treatments, measurements, events, evidence, status,
users, sessions, API tokens, imports and the append-only audit log.

Revision ID: 0001
Revises:
Create Date: 2025-01-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_TZ = sa.DateTime(timezone=True)


def _version() -> sa.Column[int]:
    return sa.Column("version", sa.Integer(), nullable=False)


def upgrade() -> None:
    op.create_table(
        "patients",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_key", sa.String(128), nullable=False),
        sa.Column("events_recorded", sa.Boolean(), nullable=False),
        sa.Column("created_at", _TZ, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_patients"),
        sa.UniqueConstraint("patient_key", name="uq_patients_patient_key"),
    )
    op.create_table(
        "lesions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.String(64), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("lesion_key", sa.String(128), nullable=False),
        sa.Column("site", sa.String(16), nullable=False),
        sa.Column("level", sa.String(32), nullable=True),
        sa.Column("histology", sa.String(128), nullable=True),
        sa.Column("age", sa.Float(), nullable=True),
        sa.Column("sex", sa.String(4), nullable=True),
        sa.Column("response", sa.String(32), nullable=True),
        sa.Column("in_vertebral_body", sa.Boolean(), nullable=True),
        sa.Column("body_involvement_pct", sa.Float(), nullable=True),
        _version(),
        sa.Column("created_at", _TZ, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_lesions"),
        sa.UniqueConstraint("uid", name="uq_lesions_uid"),
        sa.UniqueConstraint("lesion_key", name="uq_lesions_lesion_key"),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name="fk_lesions_patient_id_patients"
        ),
    )
    op.create_index("ix_lesions_patient_id", "lesions", ["patient_id"])
    op.create_index("ix_lesions_site", "lesions", ["site"])
    op.create_table(
        "treatments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lesion_id", sa.Integer(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("dose_gy", sa.Float(), nullable=False),
        sa.Column("fractions", sa.Integer(), nullable=False),
        _version(),
        sa.PrimaryKeyConstraint("id", name="pk_treatments"),
        sa.UniqueConstraint("lesion_id", name="uq_treatments_lesion_id"),
        sa.ForeignKeyConstraint(
            ["lesion_id"], ["lesions.id"], name="fk_treatments_lesion_id_lesions"
        ),
    )
    op.create_table(
        "measurements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lesion_id", sa.Integer(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("sequence", sa.String(16), nullable=False),
        sa.Column("size_mm", sa.Float(), nullable=False),
        _version(),
        sa.PrimaryKeyConstraint("id", name="pk_measurements"),
        sa.UniqueConstraint("lesion_id", "date", "sequence", name="uq_measurements_lesion_id"),
        sa.ForeignKeyConstraint(
            ["lesion_id"], ["lesions.id"], name="fk_measurements_lesion_id_lesions"
        ),
    )
    op.create_index("ix_measurements_lesion_id", "measurements", ["lesion_id"])
    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("lesion_id", sa.Integer(), nullable=True),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("value", sa.Float(), nullable=True),
        _version(),
        sa.PrimaryKeyConstraint("id", name="pk_events"),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name="fk_events_patient_id_patients"
        ),
        sa.ForeignKeyConstraint(["lesion_id"], ["lesions.id"], name="fk_events_lesion_id_lesions"),
    )
    op.create_index("ix_events_patient_id", "events", ["patient_id"])
    op.create_index("ix_events_lesion_id", "events", ["lesion_id"])
    op.create_table(
        "evidence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lesion_id", sa.Integer(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("number", sa.Float(), nullable=True),
        sa.Column("flag", sa.Boolean(), nullable=True),
        sa.Column("detail", sa.String(64), nullable=True),
        _version(),
        sa.PrimaryKeyConstraint("id", name="pk_evidence"),
        sa.UniqueConstraint("lesion_id", "kind", "date", name="uq_evidence_lesion_id"),
        sa.ForeignKeyConstraint(
            ["lesion_id"], ["lesions.id"], name="fk_evidence_lesion_id_lesions"
        ),
    )
    op.create_index("ix_evidence_lesion_id", "evidence", ["lesion_id"])
    op.create_table(
        "lesion_status",
        sa.Column("lesion_id", sa.Integer(), nullable=False),
        sa.Column("criteria", sa.String(32), nullable=True),
        sa.Column("response", sa.String(32), nullable=True),
        sa.Column("probability", sa.Float(), nullable=True),
        sa.Column("probability_low", sa.Float(), nullable=True),
        sa.Column("probability_high", sa.Float(), nullable=True),
        sa.Column("last_study", sa.Date(), nullable=True),
        sa.Column("next_due", sa.Date(), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("assessment", sa.JSON(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("computed_at", _TZ, nullable=False),
        sa.PrimaryKeyConstraint("lesion_id", name="pk_lesion_status"),
        sa.ForeignKeyConstraint(
            ["lesion_id"], ["lesions.id"], name="fk_lesion_status_lesion_id_lesions"
        ),
    )
    op.create_index("ix_lesion_status_criteria", "lesion_status", ["criteria"])
    op.create_index("ix_lesion_status_response", "lesion_status", ["response"])
    op.create_index("ix_lesion_status_next_due", "lesion_status", ["next_due"])
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("password_hash", sa.String(256), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", _TZ, nullable=True),
        sa.Column("created_at", _TZ, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("name", name="uq_users_name"),
    )
    for table in ("sessions", "api_tokens"):
        extra = (
            [sa.Column("csrf_token", sa.String(64), nullable=False)] if table == "sessions" else []
        )
        op.create_table(
            table,
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("token_hash", sa.String(64), nullable=False),
            sa.Column("user_id", sa.Integer(), nullable=False),
            *extra,
            sa.Column("created_at", _TZ, nullable=False),
            sa.Column("expires_at", _TZ, nullable=False),
            sa.PrimaryKeyConstraint("id", name=f"pk_{table}"),
            sa.UniqueConstraint("token_hash", name=f"uq_{table}_token_hash"),
            sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=f"fk_{table}_user_id_users"),
        )
        op.create_index(f"ix_{table}_user_id", table, ["user_id"])
    op.create_table(
        "imports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_name", sa.String(64), nullable=False),
        sa.Column("at", _TZ, nullable=False),
        sa.Column("files", sa.JSON(), nullable=False),
        sa.Column("added", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_imports"),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", _TZ, nullable=False),
        sa.Column("user_name", sa.String(64), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("entity", sa.String(32), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=True),
        sa.Column("lesion_id", sa.Integer(), nullable=True),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    op.create_index("ix_audit_log_lesion_id", "audit_log", ["lesion_id"])
    _append_only("audit_log")


def _append_only(table: str) -> None:
    """Triggers that refuse UPDATE and DELETE on ``table``."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN RAISE EXCEPTION 'the audit log is append-only'; END $$"
        )
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()"
        )
        return
    for action in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
            "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS audit_log_append_only()")
    for table in (
        "audit_log",
        "imports",
        "api_tokens",
        "sessions",
        "users",
        "lesion_status",
        "evidence",
        "events",
        "measurements",
        "treatments",
        "lesions",
        "patients",
    ):
        op.drop_table(table)
