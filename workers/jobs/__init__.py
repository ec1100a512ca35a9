"""The jobs RQ runs, by topic (workers/dispatch.py) or on a schedule (workers/schedule.py): they take ids,
load what they need and call the domain that does the work; each is safe to run twice."""
