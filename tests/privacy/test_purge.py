"""The retention purge: festivals that ended more than PERSONAL_DATA_RETENTION_DAYS ago lose their
personal data; their reports do not change; younger festivals are not touched."""
import time

import sqlalchemy as sa
from rq.utils import import_attribute

from app.database import db
from registrations import services as registrations
from registrations.models import Pass, PartyMember
from registrations.services.erasure import purge_expired_festivals
from tests.privacy.conftest import DELETER, figures_of, identifying_strings, rows_mentioning, today
from workers import schedule

YOUNG = {"name": "Young Festival Person", "email": "young.person@example.org", "phone": "080 000 0000",
         "party": [{"name": "Young Child", "age_group": "child"}]}


def without_returning(figures):
    """The figures without those that match people across festivals by e-mail address."""
    summary, tables = figures
    summary = {key: value for key, value in summary.items() if not key.startswith("returning_")}
    tables = {key: rows for key, rows in tables.items() if key != "returning_visitors"}
    tables["summary"] = [row for row in tables["summary"] if not str(row[0]).startswith("returning_")]
    return summary, tables


def _holding_personal_data(festival_id):
    return db.session.scalar(
        sa.select(sa.func.count(Pass.id)).where(Pass.festival_id == festival_id, Pass.anonymised_at.is_(None))
    )


def test_the_purge_anonymises_festivals_past_retention_only_and_keeps_their_figures(app, held_festival):
    old = held_festival(days_ago=400, slug="old-festival")  # ended 399 days ago
    young = held_festival(days_ago=100, slug="young-festival", deleter=YOUNG)
    with app.app_context():
        old_before, young_before = figures_of(old.festival_id), figures_of(young.festival_id)
        assert old_before[0]["passes"] == 2 and young_before[0]["passes"] == 2

        result = purge_expired_festivals(today(), retention_days=365)
        db.session.commit()
        assert [(f.slug, f.passes) for f in result.festivals] == [("old-festival", 3)] and result.passes == 3

        assert figures_of(old.festival_id) == old_before
        # The younger festival keeps every figure but one: Malee came to both festivals, and who came
        # before is matched by e-mail address, which the older festival no longer holds (docs/privacy.md).
        young_after = figures_of(young.festival_id)
        assert without_returning(young_after) == without_returning(young_before)
        assert young_before[0]["returning_visitors"] == 1 and young_after[0]["returning_visitors"] == 0
        assert _holding_personal_data(old.festival_id) == 0
        assert _holding_personal_data(young.festival_id) == 3
        assert rows_mentioning(identifying_strings()) == []
        assert {s for _t, _c, s in rows_mentioning(identifying_strings(YOUNG))} >= {YOUNG["email"], YOUNG["name"]}
        # The pass cancelled before stays cancelled; the others admit no one any more.
        statuses = sorted(db.session.scalars(sa.select(Pass.status).where(Pass.festival_id == old.festival_id)))
        assert statuses == ["anonymised", "anonymised", "cancelled"]

        again = purge_expired_festivals(today(), retention_days=365)
        db.session.commit()
        assert again.festivals == [] and again.passes == 0


def test_the_retention_period_comes_from_the_configuration(app, held_festival):
    held = held_festival(days_ago=40)  # ended 39 days ago
    saved = app.config["PERSONAL_DATA_RETENTION_DAYS"]
    try:
        with app.app_context():
            assert app.config["PERSONAL_DATA_RETENTION_DAYS"] == 365
            assert purge_expired_festivals(today()).passes == 0
            app.config["PERSONAL_DATA_RETENTION_DAYS"] = 39
            assert purge_expired_festivals(today()).passes == 0  # 39 days ago is not *more* than 39
            app.config["PERSONAL_DATA_RETENTION_DAYS"] = 38
            assert purge_expired_festivals(today()).passes == 3
            db.session.commit()
            assert _holding_personal_data(held.festival_id) == 0
    finally:
        app.config["PERSONAL_DATA_RETENTION_DAYS"] = saved


def test_the_purge_works_in_batches_and_commits_after_each(app, held_festival):
    held = held_festival(days_ago=400)
    with app.app_context():
        for n in range(4):
            registrations.sign_up(held.slug, name=f"Extra {n}", email=f"extra{n}@example.org", age_group="adult",
                                  consent=True, party=[{"name": f"Extra child {n}", "age_group": "child"}])
        db.session.commit()
        before = figures_of(held.festival_id)
        commits = []

        def commit():
            db.session.commit()
            commits.append(_holding_personal_data(held.festival_id))

        result = purge_expired_festivals(today(), retention_days=365, batch_size=3, commit=commit)
        assert result.passes == 7 and commits == [4, 1, 0]
        assert figures_of(held.festival_id) == before
        assert db.session.scalar(sa.select(sa.func.count(PartyMember.id)).where(PartyMember.name != "")) == 0


def test_a_dry_run_counts_and_changes_nothing(app, held_festival):
    held = held_festival(days_ago=400)
    with app.app_context():
        result = purge_expired_festivals(today(), retention_days=365, dry_run=True)
        db.session.commit()
        assert result.dry_run and [(f.slug, f.passes) for f in result.festivals] == [(held.slug, 3)]
        assert _holding_personal_data(held.festival_id) == 3


def test_the_command_line_purges_with_a_dry_run_first(app, runner, held_festival):
    held = held_festival(days_ago=400)
    dry = runner.invoke(args=["privacy", "purge", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert f"{held.slug} (ended {held.days[1].isoformat()}): would anonymise 3 pass(es)" in dry.output
    with app.app_context():
        assert _holding_personal_data(held.festival_id) == 3

    real = runner.invoke(args=["privacy", "purge"])
    assert real.exit_code == 0, real.output
    assert "anonymised 3 pass(es) in 1 festival(s)" in real.output
    with app.app_context():
        assert _holding_personal_data(held.festival_id) == 0
    assert "anonymised 0 pass(es) in 0 festival(s)" in runner.invoke(args=["privacy", "purge"]).output

    shorter = runner.invoke(args=["privacy", "purge", "--days", "-1"])
    assert shorter.exit_code != 0 and "--days" in shorter.output


def test_the_purge_is_a_declared_recurring_job_that_runs(app, held_festival):
    held = held_festival(days_ago=400)
    entry = schedule.BY_NAME["personal-data-purge"]
    assert entry.every == 24 * 3600 and import_attribute(entry.func).__name__ == "purge_expired_personal_data"
    slot = int(time.time() // entry.every)
    with app.app_context():
        assert schedule.run_recurring("personal-data-purge", slot) == 3  # what the worker runs, once a day
        assert _holding_personal_data(held.festival_id) == 0
        assert rows_mentioning([DELETER["email"]]) == []
        db.session.remove()
