"""Profile: where the server's CPU per survey goes (open the page, submit it) on PostgreSQL.

Usage: ``.venv/bin/python benchmarks/submit_profile.py [--surveys 200] [--top 25]
[--store postgres]``

The workspace and campaign are ``benchmarks/load_bench.py``'s. The application runs in this
process behind FastAPI's TestClient (no uvicorn, no sockets: what the HTTP server costs is
not in here). After a warm-up of 10 surveys (the campaign's definition, the connection pool,
first-call imports), ``--surveys`` surveys are opened and submitted one after the other, then
as many again with every thread under cProfile (the handlers run in the application's thread
pool: each thread gets a profiler of its own, on its own CPU clock, merged at the end).
Printed: this process's CPU ms per survey without and with the profiler, the shares of the
handlers' steps, and the functions with the most cumulative and own CPU time. The profiler's
overhead inflates many small calls (pandas) more than a few large ones: the shares are
shares of a profiled run, not timings.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import load_bench as lb

# (label, function name as pstats prints it): cumulative time of each
GROUPS = [
    ("open the page (handler)", "respondent_page"),
    ("  open_link", "open_link"),
    ("  render survey.html.j2", "render"),
    ("submit (handler, in the thread pool)", "_submit"),
    ("  submit_page", "submit_page"),
    ("    _check_page -> check_answers", "check_answers"),
    ("      validate_answers", "validate_answers"),
    ("    store.finish_link", "finish_link"),
    ("  form parsing (request.form)", "form"),
    ("TestClient + Starlette request/response", "request"),
]


def one_survey(client: object, token: str, number: int) -> None:
    from fastapi.testclient import TestClient

    assert isinstance(client, TestClient)
    page = client.get(f"/s/{token}")
    assert page.status_code == 200, page.text
    form = {"page": "1", "key": uuid.uuid4().hex, **lb.answers_of(number)}
    done = client.post(f"/s/{token}", data=form, follow_redirects=False)
    assert done.status_code == 303, done.text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", default="postgres", choices=["postgres", "duckdb"])
    parser.add_argument("--surveys", type=int, default=200)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    from fastapi.testclient import TestClient

    from realitygap.service.app import create_app

    warm = 10
    with tempfile.TemporaryDirectory() as tmp, lb.store_at(args.store, Path(tmp)) as where:
        respondent_of = lb.prepare(where, 2 * args.surveys + warm, Path(tmp))
        items = [(t, int(r[1:])) for t, r in respondent_of.items()]
        app = create_app(where)
        with TestClient(app) as client:
            for token, number in items[:warm]:
                one_survey(client, token, number)
            plain = items[warm : warm + args.surveys]
            profiled = items[warm + args.surveys :]
            t0 = time.process_time()
            for token, number in plain:
                one_survey(client, token, number)
            cpu = (time.process_time() - t0) / len(plain)
        # a new client starts new threads (its portal, the thread pool): each is profiled
        profiles: list[cProfile.Profile] = []

        def start_profiling(*_: object) -> None:
            sys.setprofile(None)
            thread_profile = cProfile.Profile(time.thread_time)
            profiles.append(thread_profile)
            thread_profile.enable()

        threading.setprofile(start_profiling)
        main_profile = cProfile.Profile(time.thread_time)
        profiles.append(main_profile)
        try:
            with TestClient(app) as client:
                t0 = time.process_time()
                main_profile.enable()
                for token, number in profiled:
                    one_survey(client, token, number)
                main_profile.disable()
                cpu_profiled = (time.process_time() - t0) / len(profiled)
        finally:
            threading.setprofile(None)  # type: ignore[arg-type]
        app.state.access.close()
    print(
        f"{args.store}: {1000 * cpu:.2f} ms CPU per survey (this process: client + app), "
        f"{1000 * cpu_profiled:.2f} ms under cProfile; n={len(plain)} each"
    )
    stats = pstats.Stats(*profiles)
    total = stats.total_tt  # type: ignore[attr-defined]
    print(f"\nshares of the CPU of every thread ({1000 * total / len(profiled):.2f} ms/survey):")
    for label, name in GROUPS:
        cum = sum(v[3] for k, v in stats.stats.items() if k[2] == name)  # type: ignore[attr-defined]
        print(f"  {label:<45} {100 * cum / total:5.1f}%  {1000 * cum / len(profiled):6.2f} ms")
    out = io.StringIO()
    stats.stream = out  # type: ignore[attr-defined]
    stats.sort_stats("cumulative").print_stats(args.top)
    print(out.getvalue())
    out = io.StringIO()
    stats.stream = out  # type: ignore[attr-defined]
    stats.sort_stats("tottime").print_stats(args.top)
    print(out.getvalue())


if __name__ == "__main__":
    main()
