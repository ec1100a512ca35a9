"""Check-in's part of a visitor's data export: every scan of their pass (gates, session doors, booths).

Scans keep the pass id, the party size at the time and the result: they name no
one, so anonymising the pass is their erasure and they stay for the reports.
Who scanned (staff user, device) is staff data and is left out of the export.
"""
import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app import personal_data
from app.database import db
from checkin.models import Checkpoint, Scan


@personal_data.exporter("visits", order=50)
def export_scans(pass_):
    festival = pass_.festival
    scans = db.session.scalars(
        sa.select(Scan)
        .where(Scan.pass_id == pass_.id)
        .options(
            selectinload(Scan.checkpoint).selectinload(Checkpoint.session),
            selectinload(Scan.checkpoint).selectinload(Checkpoint.booth),
        )
        .order_by(Scan.scanned_at, Scan.id)
    ).all()
    rows = []
    for scan in scans:
        checkpoint = scan.checkpoint
        rows.append(
            {
                "scanned_at": scan.scanned_at.astimezone(festival.zone).isoformat(),
                "checkpoint": {
                    "id": checkpoint.id,
                    "name": checkpoint.name,
                    "kind": checkpoint.kind,
                    "session_title_th": checkpoint.session.title_th if checkpoint.session else None,
                    "session_title_en": checkpoint.session.title_en if checkpoint.session else None,
                    "booth_name_th": checkpoint.booth.name_th if checkpoint.booth else None,
                    "booth_name_en": checkpoint.booth.name_en if checkpoint.booth else None,
                },
                "result": scan.result,
                "detail": scan.detail,
                "direction": scan.direction,
                "walk_in": scan.walk_in,
                "party_size": scan.party_size,
                "source": scan.source,
            }
        )
    return rows
