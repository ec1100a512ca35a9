"""The public pages every visitor opens first: the festival list and a day of the programme (HTML).

    python -m bench.pages            (or `make bench`, which runs every bench module)

The same data as bench/programme.py: the demo festival (Learning City Days 2023)
and a published festival of 1,000 sessions over 4 days, so one day shows 250.
"""
from app.database import db
from bench.conditional import available, etag_of, measure_conditional
from bench.harness import Stack, report
from bench.programme import BIG_SLUG, measure_gzip, seats_moving, seed_big_festival
from events import services
from events.demo.loading import load_demo
from events.models import Festival


def seed_once():
    """Load the demo and the big festival unless another bench module already did."""
    if services.city_by_slug("bangkok") is None:
        load_demo()
    if db.session.scalar(db.select(Festival.id).where(Festival.slug == BIG_SLUG)) is None:
        seed_big_festival()


def run(stack):
    stack.seed(seed_once)
    big = f"/festivals/{BIG_SLUG}?lang=th&day=2027-11-02"
    results = [
        stack.floor(),
        stack.measure("/?lang=th", "festival list"),
        stack.measure("/festivals/learning-city-days-2023?lang=th", "programme page, demo day 1"),
        stack.measure(big + "&kind=workshop", "programme page, 1,000: a day, kind"),
        stack.measure(big, "programme page, 1,000: a day (250)"),
        stack.measure(big + "&view=stage", "programme page, 1,000: by stage"),
    ]
    with seats_moving(stack):
        results.append(stack.measure(big, "programme page, 1,000: a day, 20 seat changes/s"))
    if available():
        results.append(measure_gzip(stack, big, "programme page, 1,000: a day, gzip"))
        with seats_moving(stack):
            results.append(measure_gzip(stack, big, "programme page, 1,000: a day, gzip, 20 seat changes/s"))
    if available():
        results.append(measure_conditional(stack, big, etag_of(stack, big), "programme page, 1,000: a day, 304"))
    return report(results, title="public pages (HTML)")


if __name__ == "__main__":
    with Stack() as running:
        run(running)
