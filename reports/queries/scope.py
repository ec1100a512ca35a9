"""What every query of one report shares: the connection holding the snapshot and the festival."""
from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa


@dataclass(frozen=True)
class Scope:
    conn: sa.Connection
    festival_id: int
    zone: str
    starts_on: date
    ends_on: date

    def days(self):
        """The festival's days, as ISO dates: reports list these and no others (a scan on any
        other day is a rehearsal, checkin.scanning.is_rehearsal)."""
        return [(self.starts_on + timedelta(days=n)).isoformat() for n in range((self.ends_on - self.starts_on).days + 1)]

    def zone_param(self):
        return sa.literal(self.zone, sa.String())

    def rows(self, statement):
        return self.conn.execute(statement).all()

    def scalar(self, statement):
        return self.conn.execute(statement).scalar()

