"""Scans: how many the report read, and the refused ones by reason and kind of checkpoint."""
import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from checkin.models import ADMITTED, CHECKPOINT_KINDS, RESULTS, Checkpoint, Scan
from reports.tables import WORD, Column, Table, in_order


def counts(scope):
    scans, admitted = scope.rows(
        sa.select(sa.func.count(Scan.id), sa.func.count(Scan.id).filter(Scan.result == ADMITTED)).where(
            Scan.festival_id == scope.festival_id, Scan.rehearsal.is_(False)
        )
    )[0]
    return {"scans": scans, "admitted_scans": admitted, "refused_scans": scans - admitted}


def refused_by_reason(scope):
    found = {}
    for result, kind, n in scope.rows(
        sa.select(Scan.result, Checkpoint.kind, sa.func.count())
        .join(Checkpoint, Checkpoint.id == Scan.checkpoint_id)
        .where(Scan.festival_id == scope.festival_id, Scan.result != ADMITTED, Scan.rehearsal.is_(False))
        .group_by(Scan.result, Checkpoint.kind)
    ):
        found.setdefault(result, {})[kind] = n
    rows = []
    for result in in_order(found, [r for r in RESULTS if r != ADMITTED]):
        per_kind = [found.get(result, {}).get(kind, 0) for kind in CHECKPOINT_KINDS]
        rows.append((result, *per_kind, sum(per_kind)))
    return Table(
        "refused_scans",
        _l("Refused scans by reason"),
        (
            Column("result", _l("Reason"), WORD, 34),
            Column("gate", _l("At gates")),
            Column("session", _l("At session doors")),
            Column("booth", _l("At booths")),
            Column("scans", _l("Scans")),
        ),
        rows,
    )
