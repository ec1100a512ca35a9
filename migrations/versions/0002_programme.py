"""programme changes (events): large programme imports run by a worker

Revision ID: 0002
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "programme_imports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("festival_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("dry_run", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("total_rows", sa.Integer(), nullable=False),
        sa.Column("created_sessions", sa.Integer(), nullable=False),
        sa.Column("created_venues", sa.Integer(), nullable=False),
        sa.Column("errors", sa.JSON(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["festival_id"], ["festivals.id"], name=op.f("fk_programme_imports_festival_id_festivals"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_programme_imports_user_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programme_imports")),
    )
    with op.batch_alter_table("programme_imports", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_programme_imports_festival_id"), ["festival_id"], unique=False)


def downgrade():
    with op.batch_alter_table("programme_imports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_programme_imports_festival_id"))
    op.drop_table("programme_imports")
