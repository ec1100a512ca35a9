"""one seat count, age-aware seats and rehearsal scans

Sessions count the seats taken by walk-ins (kept by registrations under the
session's lock, like seats_confirmed) and say whether an accompanying adult takes
a seat in a children's workshop; scans say whether they were rehearsals (made
outside the festival's days), which no count or report takes into account.

Revision ID: 0011
Revises: 0010
"""
from alembic import op
import sqlalchemy as sa

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("sessions") as batch:
        batch.add_column(sa.Column("walk_in_seats", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("adult_takes_seat", sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table("scans") as batch:
        batch.add_column(sa.Column("rehearsal", sa.Boolean(), nullable=False, server_default=sa.false()))
    # Walk-ins admitted before this revision took their seats at the door only: count them now.
    op.execute(
        """
        UPDATE sessions SET walk_in_seats = COALESCE((
            SELECT SUM(admissions.party_size) FROM admissions
            JOIN checkpoints ON checkpoints.id = admissions.checkpoint_id
            WHERE checkpoints.session_id = sessions.id AND admissions.walk_in
              AND admissions.first_scanned_at IS NOT NULL
        ), 0)
        """
    )


def downgrade():
    with op.batch_alter_table("scans") as batch:
        batch.drop_column("rehearsal")
    with op.batch_alter_table("sessions") as batch:
        batch.drop_column("adult_takes_seat")
        batch.drop_column("walk_in_seats")
