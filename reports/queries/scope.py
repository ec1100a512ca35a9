"""What every query of one report shares: the connection holding the snapshot and the festival."""
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa


@dataclass(frozen=True)
class Scope:
    conn: sa.Connection
    festival_id: int
    zone: str
    starts_on: date

    def zone_param(self):
        return sa.literal(self.zone, sa.String())

    def rows(self, statement):
        return self.conn.execute(statement).all()

    def scalar(self, statement):
        return self.conn.execute(statement).scalar()

