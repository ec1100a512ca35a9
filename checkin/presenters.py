"""Outcomes as JSON-ready values: times in the festival's zone, the pass as a staff member sees it."""
from checkin.posters import POSTER_KINDS, poster_url

MESSAGES = {
    "admitted": "Admitted.",
    "already_admitted": "Already admitted.",
    "not_booked": "No confirmed seat for this session.",
    "waitlisted": "Only on the waitlist for this session.",
    "cancelled": "This pass was cancelled or replaced.",
    "wrong_festival": "This pass is for another festival.",
    "invalid": "Not a valid pass code.",
    "not_open": "This checkpoint is not open now.",
}


def iso(dt, festival):
    return dt.astimezone(festival.zone).isoformat() if dt is not None else None


def checkpoint_json(checkpoint):
    festival = checkpoint.festival
    return {
        "id": checkpoint.id,
        "name": checkpoint.name,
        "kind": checkpoint.kind,
        "session_id": checkpoint.session_id,
        "booth_id": checkpoint.booth_id,
        "opens_at": iso(checkpoint.opens_at, festival),
        "closes_at": iso(checkpoint.closes_at, festival),
        "counts_exits": checkpoint.counts_exits,
    }


def shown_pass(pass_):
    if pass_ is None:
        return None
    return {"name": pass_.name, "age_group": pass_.age_group, "party_size": pass_.party_size}


def scan_answer(outcome, festival):
    scan = outcome.scan
    return {
        "result": outcome.result,
        "message": MESSAGES[outcome.result],
        "scan_id": scan.id,
        "checkpoint_id": scan.checkpoint_id,
        "scanned_at": iso(scan.scanned_at, festival),
        "direction": scan.direction,
        "walk_in": outcome.walk_in,
        "rehearsal": outcome.rehearsal,
        "detail": outcome.detail,
        "party_size": scan.party_size,
        "first_scanned_at": iso(outcome.first_scanned_at, festival),
        "pass_": shown_pass(outcome.pass_),
    }


def batch_answer(pairs, festival):
    return {
        "results": [
            {
                "local_id": local_id,
                "result": outcome.result,
                "scan_id": outcome.scan.id,
                "walk_in": outcome.walk_in,
                "rehearsal": outcome.rehearsal,
                "first_scanned_at": iso(outcome.first_scanned_at, festival),
                "pass_": shown_pass(outcome.pass_),
            }
            for local_id, outcome in pairs
        ]
    }


def checkpoint_answer(checkpoint):
    answer = checkpoint_json(checkpoint)
    has_poster = checkpoint.kind in POSTER_KINDS
    answer["poster_version"] = checkpoint.poster_version
    answer["poster_pdf"] = f"/api/v1/checkpoints/{checkpoint.id}/poster" if has_poster else None
    answer["poster_visit_url"] = poster_url(checkpoint) if has_poster else None
    return answer
