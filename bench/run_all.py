"""`make bench`: every bench module (bench/*.py with a run(stack) function) against one stack, each bounded.

Each module measures its own floor in the same run and prints its ratios. The
figures go to docs/benchmarks.md by hand, with the date and the command.
Also written to bench/results/<timestamp>.json (ignored by git).
"""
import importlib
import json
import pkgutil
import sys
import time
import traceback
from datetime import datetime, timezone
from pathlib import Path

import bench
from bench.harness import Stack, settings

SKIP = {"harness", "run_all"}


def modules():
    for info in sorted(pkgutil.iter_modules(bench.__path__), key=lambda m: m.name):
        if info.name in SKIP or info.name.startswith("_"):
            continue
        module = importlib.import_module(f"bench.{info.name}")
        if callable(getattr(module, "run", None)):
            yield info.name, module


def main(selected=None):
    chosen = [(name, module) for name, module in modules() if not selected or name in selected]
    print(f"bench: {', '.join(name for name, _ in chosen)}; {settings()['seconds']:.0f} s per measurement, "
          f"{settings()['connections']} connections, gunicorn -w 2 gthread")
    results, failed = {}, []
    with Stack() as stack:
        for name, module in chosen:
            began = time.monotonic()
            try:
                results[name] = module.run(stack)
            except Exception as error:  # noqa: BLE001 - one broken bench must not hide the others' figures
                failed.append(name)
                print(f"   {name} FAILED: {type(error).__name__}: {error}")
                traceback.print_exc()
            print(f"   ({name}: {time.monotonic() - began:.0f} s)")
    out = Path(__file__).resolve().parent / "results"
    out.mkdir(exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    (out / f"{stamp}.json").write_text(json.dumps(results, indent=2))
    return results, failed


if __name__ == "__main__":
    _, broken = main(set(sys.argv[1:]) or None)
    sys.exit(1 if broken else 0)
