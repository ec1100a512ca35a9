"""a festival's sign-up ceiling: new passes per hour before sign-ups are refused

Revision ID: 0012
Revises: 0007
"""
from alembic import op
import sqlalchemy as sa

revision = "0012"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("festivals") as batch_op:
        batch_op.add_column(sa.Column("signups_per_hour", sa.Integer(), nullable=False, server_default="2000"))


def downgrade():
    with op.batch_alter_table("festivals") as batch_op:
        batch_op.drop_column("signups_per_hour")
