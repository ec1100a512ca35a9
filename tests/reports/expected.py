"""The report's figures computed again, in plain Python, from the lists the seed wrote.

Nothing here calls reports/: each definition of docs/reports.md is re-implemented
the simple way (loops over the seeded rows) so that a wrong query shows up.
"""
from collections import Counter, defaultdict
from datetime import timedelta, timezone

BKK = timezone(timedelta(hours=7))
AGE_GROUPS = ("child", "teen", "adult", "senior")
THEMES = ("inclusive-education", "family-community", "workplace", "learning-technologies", "quality-learning",
          "lifelong-culture")
KINDS = ("workshop", "talk", "forum", "performance", "exhibition", "activity")
REFUSALS = ("already_admitted", "not_booked", "waitlisted", "cancelled", "wrong_festival", "invalid", "not_open")


def share(n, d):
    return None if not d else round(n / d, 4)


def csv_share(value):
    return "" if value is None else f"{value:.4f}"


class Expected:
    def __init__(self, seed):
        self.seed = seed
        self.active = [p for p in seed.passes if p["status"] != "cancelled"]
        self.kind_of = {key: cp["kind"] for key, cp in seed.checkpoints.items()}

    # --- sign-ups -----------------------------------------------------------
    def signups(self):
        people = sum(1 + len(p["party"]) for p in self.active)
        return {"passes": len(self.active), "people": people,
                "cancelled": sum(1 for p in self.seed.passes if p["status"] == "cancelled")}

    def by_age_group(self):
        holders = Counter(p["age_group"] for p in self.active)
        members = Counter(g for p in self.active for g in p["party"])
        return [(g, holders[g], members[g], holders[g] + members[g]) for g in AGE_GROUPS]

    def by_signup_day(self):
        days = defaultdict(lambda: [0, 0])
        for p in self.active:
            day = p["created_at"].astimezone(BKK).date().isoformat()
            days[day][0] += 1
            days[day][1] += 1 + len(p["party"])
        rows, passes, people = [], 0, 0
        for day in sorted(days):
            passes += days[day][0]
            people += days[day][1]
            rows.append((day, days[day][0], days[day][1], passes, people))
        return rows

    # --- gates --------------------------------------------------------------
    def gate_entries(self):
        return [s for s in self.seed.scans if self.kind_of[s["checkpoint"]] == "gate" and s["result"] == "admitted"
                and s["direction"] == "in" and s["pass"]]

    def visitors(self):
        biggest = {}
        for s in self.gate_entries():
            biggest[s["pass"]] = max(biggest.get(s["pass"], 0), s["party_size"])
        no_show = [p for p in self.active if p["key"] not in biggest]
        return {
            "visitors": len(biggest),
            "visitor_people": sum(biggest.values()),
            "no_show_passes": len(no_show),
            "no_show_rate": share(len(no_show), len(self.active)),
        }

    def first_arrivals(self):
        """{(day, pass): (first time, biggest party, entries)} for admitted gate entries."""
        found = {}
        for s in self.gate_entries():
            local = s["at"].astimezone(BKK)
            key = (local.date().isoformat(), s["pass"])
            first, party, entries = found.get(key, (local, 0, 0))
            found[key] = (min(first, local), max(party, s["party_size"]), entries + 1)
        return found

    def arrivals_by_hour(self):
        counts = defaultdict(lambda: [0, 0])
        for (day, _pass), (first, party, _n) in self.first_arrivals().items():
            counts[(day, first.hour)][0] += 1
            counts[(day, first.hour)][1] += party
        hours = [h for _d, h in counts]
        rows = []
        for day in sorted({d for d, _h in counts}):
            for hour in range(min(hours), max(hours) + 1):
                a, p = counts.get((day, hour), (0, 0))
                rows.append((day, hour, a, p))
        return rows

    def peaks(self):
        """Walk the admitted moves at exit-counting gates in time order, exits first at the same instant."""
        moves = defaultdict(list)
        for n, s in enumerate(self.seed.scans):
            cp = self.seed.checkpoints[s["checkpoint"]]
            if cp["kind"] == "gate" and cp["counts_exits"] and s["result"] == "admitted":
                delta = s["party_size"] if s["direction"] == "in" else -s["party_size"]
                local = s["at"].astimezone(BKK)
                moves[local.date().isoformat()].append((local, delta, n))
        peaks = {}
        for day, day_moves in moves.items():
            inside, best, best_at = 0, None, None
            for local, delta, _n in sorted(day_moves):
                inside += delta
                if best is None or inside > best:
                    best, best_at = inside, local.strftime("%H:%M")
            peaks[day] = (best, best_at)
        return peaks

    def by_visit_day(self):
        per_day = defaultdict(lambda: [0, 0, 0])
        for (day, _pass), (_first, party, entries) in self.first_arrivals().items():
            per_day[day][0] += 1
            per_day[day][1] += party
            per_day[day][2] += entries
        peaks = self.peaks()
        return [(day, *per_day[day], *peaks.get(day, (None, None))) for day in sorted(set(per_day) | set(peaks))]

    # --- sessions -----------------------------------------------------------
    def sessions(self):
        rows = {}
        for session in self.seed.sessions:
            key = session["key"]
            door = [s for s in self.seed.scans if self.seed.checkpoints[s["checkpoint"]]["session"] == key
                    and s["result"] == "admitted" and s["direction"] == "in" and s["pass"]]
            came = {}
            walk_in = set()
            for s in door:
                came[s["pass"]] = max(came.get(s["pass"], 0), s["party_size"])
                if s["walk_in"]:
                    walk_in.add(s["pass"])
            confirmed = [b for b in self.seed.bookings if b["session"] == key and b["status"] == "confirmed"]
            booked = sum(b["seats"] for b in confirmed)
            no_show = sum(b["seats"] for b in confirmed if b["pass"] not in came)
            cancelled = session["status"] == "cancelled"
            rows[key] = {
                "capacity": session["capacity"],
                "booked": booked,
                "waitlisted": sum(b["seats"] for b in self.seed.bookings if b["session"] == key and b["status"] == "waitlisted"),
                "attended": sum(came.values()),
                "walk_ins": sum(came[p] for p in walk_in),
                "no_show_seats": no_show,
                "fill_rate": None if cancelled else share(sum(came.values()), session["capacity"]),
                "no_show_rate": None if cancelled else share(no_show, booked),
                "held": not cancelled,
                "kind": session["kind"],
                "themes": session["themes"],
            }
        return rows

    def session_totals(self, field, words):
        out = []
        rows = [r for r in self.sessions().values() if r["held"]]
        for word in words:
            chosen = [r for r in rows if (r["kind"] == word if field == "kind" else word in r["themes"])]
            capacity = sum(r["capacity"] or 0 for r in chosen)
            capped = sum(r["attended"] for r in chosen if r["capacity"] is not None)
            booked = sum(r["booked"] for r in chosen)
            out.append((word, len(chosen), capacity, booked, sum(r["waitlisted"] for r in chosen),
                        sum(r["attended"] for r in chosen), sum(r["walk_ins"] for r in chosen),
                        share(capped, capacity), share(sum(r["no_show_seats"] for r in chosen), booked)))
        return out

    # --- booths -------------------------------------------------------------
    def booth_visits(self):
        return [s for s in self.seed.scans if self.kind_of[s["checkpoint"]] == "booth" and s["result"] == "admitted"
                and s["pass"]]

    def booths(self):
        rows = []
        for booth in self.seed.booths:
            visits = [s for s in self.booth_visits() if self.seed.checkpoints[s["checkpoint"]]["booth"] == booth["key"]]
            rows.append((booth["code"], len(visits), len({s["pass"] for s in visits}), sum(s["party_size"] for s in visits)))
        rows.sort(key=lambda r: (-r[1], -r[2], r[0]))
        return [(rank, *row) for rank, row in enumerate(rows, start=1)]

    def booth_ages(self):
        # Every visit counts the holder and the party members who came (the first party_size - 1).
        people = {p["key"]: [p["age_group"], *p["party"]] for p in self.seed.passes}
        out = {}
        for booth in self.seed.booths:
            visits = [s for s in self.booth_visits() if self.seed.checkpoints[s["checkpoint"]]["booth"] == booth["key"]]
            counts = Counter(group for s in visits for group in people[s["pass"]][:s["party_size"]])
            out[booth["code"]] = [counts[g] for g in AGE_GROUPS]
        return out

    # --- scans --------------------------------------------------------------
    def refused(self):
        out = []
        for result in REFUSALS:
            per_kind = [sum(1 for s in self.seed.scans if s["result"] == result and self.kind_of[s["checkpoint"]] == kind)
                        for kind in ("gate", "session", "booth")]
            out.append((result, *per_kind, sum(per_kind)))
        return out

    # --- returning ----------------------------------------------------------
    def returning(self):
        attended_keys = {s["pass"] for s in self.seed.scans if s["result"] == "admitted" and s["pass"]}
        earlier = defaultdict(set)  # email -> festivals attended before this one (2027-08-22)
        for other in self.seed.other_scans:
            if other["admitted"] and not other["anonymised"] and other["email"] and str(other["starts_on"]) < "2027-08-22":
                earlier[other["email"].lower()].add(other["festival"])
        visitors = [p for p in self.seed.passes if p["key"] in attended_keys and not p["anonymised"] and p["email"]]
        returning = [p for p in visitors if earlier.get(p["email"].lower())]
        signups = [p for p in self.active if not p["anonymised"] and p["email"] and earlier.get(p["email"].lower())]
        per_festival = Counter(f for p in returning for f in earlier[p["email"].lower()])
        return {
            "attendees": len(attended_keys),
            "returning_visitors": len(returning),
            "returning_share": share(len(returning), len(attended_keys)),
            "returning_signups": len(signups),
            "per_festival": dict(per_festival),
        }
