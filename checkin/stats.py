"""Live counters for organisers: admitted per checkpoint, inside now, attendance against bookings."""
import sqlalchemy as sa

from app.database import db
from checkin.models import ADMITTED, GATE, IN, SESSION, Admission, Checkpoint, Scan
from checkin.checkpoints import list_checkpoints
from events.models import ProgrammeSession
from registrations.models import CONFIRMED, Booking


def checkin_stats(festival):
    checkpoints = list_checkpoints(festival)
    admissions = {
        row.checkpoint_id: row
        for row in db.session.execute(
            sa.select(
                Admission.checkpoint_id,
                sa.func.count(Admission.id).label("passes"),
                sa.func.coalesce(sa.func.sum(Admission.party_size), 0).label("people"),
                sa.func.count(Admission.id).filter(Admission.walk_in.is_(True)).label("walk_ins"),
                sa.func.count(Admission.id).filter(Admission.inside.is_(True)).label("inside_passes"),
                sa.func.coalesce(sa.func.sum(Admission.party_size).filter(Admission.inside.is_(True)), 0)
                .label("inside_people"),
            )
            .where(Admission.festival_id == festival.id, Admission.first_scanned_at.is_not(None))
            .group_by(Admission.checkpoint_id)
        )
    }
    scans = {}
    for checkpoint_id, result, direction, count in db.session.execute(
        sa.select(Scan.checkpoint_id, Scan.result, Scan.direction, sa.func.count(Scan.id))
        .where(Scan.festival_id == festival.id, Scan.rehearsal.is_(False))
        .group_by(Scan.checkpoint_id, Scan.result, Scan.direction)
    ):
        counts = scans.setdefault(checkpoint_id, {"results": {}, "entries": 0, "exits": 0})
        if direction == IN:
            counts["results"][result] = counts["results"].get(result, 0) + count
            if result == ADMITTED:
                counts["entries"] += count
        elif result == ADMITTED:
            counts["exits"] += count
    rows = []
    for checkpoint in checkpoints:
        admitted = admissions.get(checkpoint.id)
        counted = scans.get(checkpoint.id, {"results": {}, "entries": 0, "exits": 0})
        row = {
            "id": checkpoint.id,
            "name": checkpoint.name,
            "kind": checkpoint.kind,
            "session_id": checkpoint.session_id,
            "booth_id": checkpoint.booth_id,
            "admitted_passes": admitted.passes if admitted else 0,
            "admitted_people": int(admitted.people) if admitted else 0,
            "walk_ins": admitted.walk_ins if admitted else 0,
            "scans": counted["results"],
        }
        if checkpoint.kind == GATE:
            row["entries"] = counted["entries"]
            row["exits"] = counted["exits"]
            if checkpoint.counts_exits:
                row["inside_passes"] = admitted.inside_passes if admitted else 0
                row["inside_people"] = int(admitted.inside_people) if admitted else 0
        rows.append(row)
    exit_gates = [r for r in rows if "inside_people" in r]
    return {
        "festival": festival.slug,
        "checkpoints": rows,
        "inside_now": {
            "people": sum(r["inside_people"] for r in exit_gates),
            "passes": sum(r["inside_passes"] for r in exit_gates),
            "gates": len(exit_gates),
        },
        "sessions": _sessions(festival, checkpoints),
    }


def _sessions(festival, checkpoints):
    """Each session with a door: seats booked, booked people who came, walk-ins, no-shows."""
    doors = {}
    for checkpoint in checkpoints:
        if checkpoint.kind == SESSION:
            doors.setdefault(checkpoint.session_id, []).append(checkpoint.id)
    if not doors:
        return []
    came = {
        (session_id, walk_in): (passes, int(people))
        for session_id, walk_in, passes, people in db.session.execute(
            sa.select(Checkpoint.session_id, Admission.walk_in, sa.func.count(sa.distinct(Admission.pass_id)),
                      sa.func.coalesce(sa.func.sum(Admission.party_size), 0))
            .join(Checkpoint, Checkpoint.id == Admission.checkpoint_id)
            .where(Checkpoint.session_id.in_(doors), Admission.first_scanned_at.is_not(None))
            .group_by(Checkpoint.session_id, Admission.walk_in)
        )
    }
    booked = dict(
        db.session.execute(
            sa.select(Booking.session_id, sa.func.count(Booking.id))
            .where(Booking.session_id.in_(doors), Booking.status == CONFIRMED)
            .group_by(Booking.session_id)
        ).all()
    )
    rows = []
    for session in db.session.scalars(
        sa.select(ProgrammeSession).where(ProgrammeSession.id.in_(doors)).order_by(ProgrammeSession.starts_at)
    ):
        booked_passes, booked_people = came.get((session.id, False), (0, 0))
        walk_passes, walk_people = came.get((session.id, True), (0, 0))
        rows.append({
            "session_id": session.id,
            "title_th": session.title_th,
            "title_en": session.title_en,
            "starts_at": session.starts_at.astimezone(festival.zone).isoformat(),
            "capacity": session.capacity,
            "bookings": booked.get(session.id, 0),
            "seats_booked": session.seats_confirmed,
            "attended_passes": booked_passes,
            "attended_people": booked_people,
            "walk_in_passes": walk_passes,
            "walk_in_people": walk_people,
            "attendance_rate": round(booked_people / session.seats_confirmed, 3) if session.seats_confirmed else None,
            "checkpoint_ids": doors[session.id],
        })
    return rows
