"""The scans the reports count: accepted real ones (no rehearsal), at a kind of checkpoint, entries
unless said otherwise.

Every figure about who came (gates, session doors, booths, the network) starts from this
SELECT, so that "an admitted entry" means the same thing in every table of a report.
"""
import sqlalchemy as sa

from checkin.models import ADMITTED, IN, Checkpoint, Scan


def admitted_scans(*columns, kind=None, festival_id=None, entries_only=True, with_pass=True):
    """SELECT columns FROM scans JOIN checkpoints WHERE the scan was admitted and no rehearsal, and:
    at a `kind` checkpoint (gate, session, booth); of `festival_id`; an entry (direction in),
    unless entries_only is False; of a pass (not an anonymous count), unless with_pass is False.
    Further columns, filters and groups are the caller's."""
    query = (
        sa.select(*columns)
        .select_from(Scan)
        .join(Checkpoint, Checkpoint.id == Scan.checkpoint_id)
        .where(Scan.result == ADMITTED)
        # Rehearsals (scans outside the festival's days, checkin.scanning.is_rehearsal) count nowhere.
        .where(Scan.rehearsal.is_(False))
    )
    if festival_id is not None:
        query = query.where(Scan.festival_id == festival_id)
    if kind is not None:
        query = query.where(Checkpoint.kind == kind)
    if entries_only:
        query = query.where(Scan.direction == IN)
    if with_pass:
        query = query.where(Scan.pass_id.is_not(None))
    return query
