"""Benchmark: the same four analyses on DuckDB, on Spark (local) and on PostgreSQL, one run.

Issue 20, point 6. Per size (``--responses``, the rows of the ``responses`` table, as
``benchmarks/metrics_bench.py`` counts its "10M responses") and per engine, each step in a
fresh child process, the script prints wall seconds, CPU seconds of the Python process (user +
system, DuckDB's threads included), CPU seconds of Spark's JVM (the ``java`` child of the
process, read from ``/proc``) or of the PostgreSQL server (every ``postgres`` process on the
machine, read from ``/proc`` before and after: other sessions' work on the server counts too),
peak RSS of the Python process (``VmHWM``, its imports included) and of the JVM, rows pulled
into Python (rows returned by Ibis ``execute()``, the counter of ``steps_bench.py``) and the
load average (1 minute) when the step ended. Then the ratios Spark / DuckDB and PostgreSQL /
DuckDB, and whether the engines' results agree.

**The data.** The simulator writes about 7 answers per customer at 1 to 2 minutes per million
customers (10M customers took 33 minutes), too slow for 100M answers. So the example company
is simulated once, small (``--source-customers``, default 100,000 customers, seed 1: 692,701
responses, 2,500 staff), and scaled up by replication: ``k = ceil(responses / source
responses)`` copies of every respondent (customers and staff), copy ``c`` renaming every id
``X`` to ``X-c`` (copy 0 keeps the ids) in ``respondents``, ``responses``, ``invitations`` and
``events`` (``event_id`` and ``customer_id``), written by DuckDB SQL straight to one Parquet
file per table (``DATA/<responses>/parquet/``). Every respondent's answers, invitations and
events are the simulator's, so every distribution (per customer, per segment, per month, per
staff role) is the source's exactly, k times over: NPS, gaps and correlations equal the
source's (``tests/test_engines_bench.py`` checks the NPS by segment and month against an
independent pandas computation). ``questions`` is copied once. Documents, cases, contacts and
the text tables stay empty: none of the four analyses reads them.

**The workspaces.** DuckDB: a new workspace (``Workspace.create``), the Parquet files inserted
into its tables by DuckDB SQL, then the answer grid built by the store
(``answer_grid.refresh``), as an import builds it. Spark (``spark:///DATA/<responses>/spark``,
a local session, ``REALITYGAP_SPARK_MASTER`` default ``local[2]``, driver memory
``--spark-memory``): built by Spark from the same Parquet files (:func:`build_spark`: one
``INSERT INTO ... SELECT`` per table through the store, then ``answer_grid.refresh`` run by
Spark; no row passes through Python), timed as the ``spark build`` step. PostgreSQL (a schema
of its own in ``--server``, dropped afterwards; only up to ``--postgres-max`` responses):
``realitygap.store.transfer.copy_workspace`` from the DuckDB workspace (COPY of Arrow pages;
the grid rebuilt by PostgreSQL), timed as the ``copy`` step.

**The steps** (the public API, as the CLI calls it, on the workspace opened read-only):
``metrics`` (NPS by segment x month, score intervals and month-on-month tests), ``gap`` (the
perception gap table by role, department, touchpoint and layer), ``drivers`` (the drivers'
correlation matrix and Shapley shares of the NPS, 100 bootstrap replicates), ``audit`` (the
survey audit: ceilings, correlations, reliability, retention AUC, non-response).

    PYTHONPATH=src .venv/bin/python benchmarks/engines_bench.py [--responses 1000000 ...]
        [--engines duckdb spark postgres] [--data DIR] [--keep] [--reuse]
        [--step-timeout SECONDS]

Without ``--keep`` the data of each size are deleted when it is done; ``--reuse`` takes the
Parquet files and the DuckDB workspace of an earlier ``--keep`` run instead of building them
(their build figures are those of that run). A child still running after ``--step-timeout``
seconds is stopped and reported as not finished.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

ENGINES = ("duckdb", "spark", "postgres")
STEPS = ("metrics", "gap", "drivers", "audit")
SERVER = "postgresql://postgres@127.0.0.1:5432/test"
MEMORY_CAP = "5GB"  # DuckDB's buffers in every analysis child (REALITYGAP_MEMORY_LIMIT)
# the tables replicated, and the id columns each copy renames
REPLICATED: dict[str, tuple[str, ...]] = {
    "respondents": ("respondent_id",),
    "responses": ("respondent_id",),
    "invitations": ("respondent_id",),
    "events": ("event_id", "customer_id"),
}
COPIED = ("questions",)


# ---- the data ------------------------------------------------------------------------------
def replicate_sql(table: str, columns: list[str], copies: int, source: str = "src") -> str:
    """The SELECT of ``copies`` copies of ``source.table``: copy ``c`` renames every id ``X``
    of the table's id columns to ``X-c`` (copy 0 keeps them)."""
    ids = REPLICATED[table]
    select = ", ".join(
        f'CASE WHEN r.c = 0 THEN t."{c}" ELSE t."{c}" || \'-\' || r.c END AS "{c}"'
        if c in ids
        else f't."{c}"'
        for c in columns
    )
    return f'SELECT {select} FROM {source}."{table}" t, range({copies}) AS r(c)'


def write_parquet(source_db: Path, out: Path, copies: int) -> dict[str, int]:
    """Every replicated and copied table of the source workspace as ``out/<table>.parquet``;
    return rows per table."""
    import duckdb

    out.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    con.execute(f"SET memory_limit = '{MEMORY_CAP}'")
    con.execute(f"ATTACH '{source_db}' AS src (READ_ONLY)")
    rows: dict[str, int] = {}
    for table in (*COPIED, *REPLICATED):
        columns = [r[0] for r in con.execute(f'DESCRIBE src."{table}"').fetchall()]
        query = (
            replicate_sql(table, columns, copies)
            if table in REPLICATED
            else f'SELECT * FROM src."{table}"'
        )
        path = out / f"{table}.parquet"
        con.execute(f"COPY ({query}) TO '{path}' (FORMAT parquet, COMPRESSION zstd)")
        rows[table] = con.execute(f"SELECT count(*) FROM '{path}'").fetchone()[0]  # type: ignore[index]
    con.close()
    return rows


def build_duckdb(source: Path, parquet: Path, target: Path) -> None:
    """A DuckDB workspace holding the Parquet files' rows, its answer grid built by the store."""
    import duckdb

    from realitygap.store import Workspace, answer_grid
    from realitygap.store.write import ensure_columns

    with Workspace.open(source, read_only=True) as src:
        taxonomy = (src.path / "taxonomy.toml").read_text()
        respondent_columns = src.columns("respondents")
    with Workspace.create(target, taxonomy) as ws:
        for name in ("settings.toml",):
            if (source / name).exists():
                shutil.copy(source / name, target / name)
        with ws.transaction():
            ensure_columns(ws, "respondents", respondent_columns)
    con = duckdb.connect(str(target / "realitygap.duckdb"))
    con.execute(f"SET memory_limit = '{MEMORY_CAP}'")
    for table in (*COPIED, *REPLICATED):
        con.execute(f"INSERT INTO \"{table}\" BY NAME SELECT * FROM '{parquet / table}.parquet'")
    con.close()
    with Workspace.open(target) as ws, ws.transaction():
        answer_grid.refresh(ws)


def build_spark(source: Path, parquet: Path, location: str) -> dict[str, int]:
    """A Spark workspace holding the Parquet files' rows, laid out by the store: each table one
    ``INSERT INTO ... SELECT`` from its Parquet file (Spark reads the file, casts to the
    table's types and writes one directory), then the answer grid built by the store's own
    builder (``answer_grid.refresh``, its pivot run by Spark), all in one commit of the log.
    No row passes through Python (``copy_workspace`` sends every page through Arrow on the
    driver). Returns rows per table, counted by Spark."""
    import pyarrow.parquet as pq

    from realitygap.store import Workspace, answer_grid
    from realitygap.store.write import ensure_columns

    with Workspace.open(source, read_only=True) as src:
        taxonomy = (src.path / "taxonomy.toml").read_text()
        respondent_columns = src.columns("respondents")
    with Workspace.create(location, taxonomy) as ws:
        if ws.count("responses"):
            raise SystemExit(f"{location}: already holds responses; build into a new one")
        for name in ("settings.toml",):
            if (source / name).exists():
                shutil.copy(source / name, ws.path / name)
        with ws.transaction():
            ensure_columns(ws, "respondents", respondent_columns)
            for table in (*COPIED, *REPLICATED):
                path = (parquet / f"{table}.parquet").resolve()
                # by name: the file's columns are the source's, in the source's order
                cols = ", ".join(f'"{c}"' for c in pq.read_schema(path).names)
                ws.con.execute(
                    f'INSERT INTO "{table}" ({cols}) SELECT {cols} FROM parquet.`{path}`'
                )
            answer_grid.refresh(ws)
        return {t: ws.count(t) for t in (*COPIED, *REPLICATED, answer_grid.GRID_TABLE)}


# ---- measuring -----------------------------------------------------------------------------
def _proc_stat(pid: int) -> list[str]:
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()


def _descendant_java() -> int | None:
    """The pid of the ``java`` process under this one (PySpark's JVM), if any."""
    parent: dict[int, int] = {}
    comm: dict[int, str] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                parent[int(entry)] = int(_proc_stat(int(entry))[1])
                with open(f"/proc/{entry}/comm") as f:
                    comm[int(entry)] = f.read().strip()
            except OSError:
                continue
    me = os.getpid()
    for pid, name in comm.items():
        p = pid
        while p in parent and p > 1:
            p = parent[p]
            if p == me and name == "java":
                return pid
    return None


def _cpu_of(pid: int) -> float:
    fields = _proc_stat(pid)
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _hwm_mb(pid: int | str = "self") -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _postgres_cpu() -> float:
    """CPU seconds of every ``postgres`` process (the server and its backends)."""
    total = 0.0
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/comm") as f:
                    if f.read().strip() != "postgres":
                        continue
                total += _cpu_of(int(entry))
            except OSError:
                continue
    return total


def _cpu_s() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    return own.ru_utime + own.ru_stime


class Meter:
    """Wall and CPU seconds of this process, of the JVM and of the PostgreSQL server."""

    def __init__(self, engine: str) -> None:
        self.engine = engine
        self.java = _descendant_java() if engine == "spark" else None
        self.t0, self.cpu0 = time.perf_counter(), _cpu_s()
        self.java0 = _cpu_of(self.java) if self.java else 0.0
        self.pg0 = _postgres_cpu() if engine == "postgres" else 0.0

    def figures(self, rows: int) -> dict[str, Any]:
        wall, cpu = time.perf_counter() - self.t0, _cpu_s() - self.cpu0
        java = (self.java or _descendant_java()) if self.engine == "spark" else None
        out: dict[str, Any] = {"wall": wall, "cpu": cpu, "rows": rows, "peak_mb": _hwm_mb()}
        out["engine_cpu"] = 0.0
        out["jvm_mb"] = 0.0
        if java:
            out["engine_cpu"] = _cpu_of(java) - (self.java0 if self.java else 0.0)
            out["jvm_mb"] = _hwm_mb(java)
        if self.engine == "postgres":
            out["engine_cpu"] = _postgres_cpu() - self.pg0
        out["load"] = os.getloadavg()[0]
        return out


# ---- the children --------------------------------------------------------------------------
def _digest(step: str, result: Any) -> list[float]:
    """A few numbers of a step's result, to check that the engines agree."""
    frame = result.to_frame()
    if step == "metrics":
        nps = frame[frame["metric"] == "nps"]
        return [float(len(nps)), float(nps["n"].sum()), float(nps["value"].fillna(0).sum())]
    if step == "gap":
        return [float(len(frame)), float(frame["gap"].fillna(0).sum())]
    if step == "drivers":
        return [float(v) for v in frame["share"].fillna(0)]
    return [
        float(len(frame)),
        float(frame["n"].sum()),
        float(frame["r_outcome"].fillna(0).sum()),
        float(frame["auc_retention"].fillna(0).sum()),
    ]


def child_step(step: str, location: str, engine: str) -> dict[str, Any]:
    from realitygap.analysis import audit, drivers, gap, metrics
    from realitygap.store import Workspace
    from steps_bench import _count_rows  # this directory is on sys.path

    pulled = _count_rows()
    runs = {
        "metrics": lambda ws: metrics(ws, by=["segment", "month"], questions=["nps"]),
        "gap": lambda ws: gap(ws, by=["role", "department", "touchpoint", "layer"]),
        "drivers": lambda ws: drivers(ws, "nps", bootstrap=100),
        "audit": lambda ws: audit(ws, "nps"),
    }
    with Workspace.open(location, read_only=True) as ws:
        ws.table("responses")  # the session (and the JVM) exist before the clock starts
        meter = Meter(engine)
        result = runs[step](ws)
        out = meter.figures(pulled[0])
    out["digest"] = _digest(step, result)
    return out


def child_copy(source: str, location: str, engine: str) -> dict[str, Any]:
    from realitygap.store import Workspace
    from realitygap.store.transfer import copy_workspace

    with Workspace.open(source, read_only=True) as src, Workspace.create(location) as target:
        meter = Meter(engine)
        copied = copy_workspace(src, target)
        out = meter.figures(0)
    out["copied"] = copied
    return out


def child_build(source: str, directory: str, copies: int) -> dict[str, Any]:
    meter = Meter("duckdb")
    rows = write_parquet(Path(source) / "realitygap.duckdb", Path(directory) / "parquet", copies)
    parquet = meter.figures(0)
    meter = Meter("duckdb")
    build_duckdb(Path(source), Path(directory) / "parquet", Path(directory) / "duckdb")
    return {"parquet": parquet | {"written": rows}, "build": meter.figures(0)}


def child_spark(source: str, directory: str, location: str) -> dict[str, Any]:
    from realitygap.store.spark import local_session
    from steps_bench import _count_rows  # this directory is on sys.path

    pulled = _count_rows()
    local_session()  # the JVM exists before the clock starts, as in the steps
    meter = Meter("spark")
    built = build_spark(Path(source), Path(directory) / "parquet", location)
    return meter.figures(pulled[0]) | {"written": built}


def child_simulate(directory: str, customers: int) -> dict[str, Any]:
    from realitygap.simulate import simulate

    meter = Meter("duckdb")
    truth = simulate(Path(directory), customers=customers, seed=1)
    return meter.figures(0) | {"written": truth["rows"]}


# ---- the parent ----------------------------------------------------------------------------
def _run(argv: list[str], env: dict[str, str], timeout: float | None = None) -> dict[str, Any]:
    """Run a child; its stderr (Spark's start-up chatter) goes to ``REALITYGAP_HOME/../log``.
    A child still running after ``timeout`` seconds is stopped with its JVM (its own process
    group) and reported as ``{"timeout": seconds}``."""
    cmd = [sys.executable, __file__, *argv]
    log = Path(env["REALITYGAP_HOME"]).parent / "children.log"
    t0 = time.perf_counter()
    with log.open("a") as err:
        child = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=err, text=True, env=env, start_new_session=True
        )
        try:
            stdout, _ = child.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)  # the child and the JVM it started
            child.communicate()
            return {"timeout": time.perf_counter() - t0, "load": os.getloadavg()[0]}
    proc = subprocess.CompletedProcess(cmd, child.returncode, stdout)
    if proc.returncode != 0:
        tail = log.read_text()[-3000:]
        raise SystemExit(f"{' '.join(argv)}: exit {proc.returncode}\n{proc.stdout[-2000:]}{tail}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def _line(label: str, res: dict[str, Any]) -> str:
    if "timeout" in res:
        stopped = f"stopped: not finished after {res['timeout']:.0f} s"
        return f"{label:<28} {stopped}  load {res['load']:.1f}"
    engine = f"  engine CPU {res['engine_cpu']:8.1f} s" if res.get("engine_cpu") else ""
    jvm = f"  JVM peak {res['jvm_mb']:6.0f} MB" if res.get("jvm_mb") else ""
    return (
        f"{label:<28} wall {res['wall']:8.1f} s  CPU {res['cpu']:7.1f} s{engine}  "
        f"peak {res['peak_mb']:6.0f} MB{jvm}  rows to Python {res['rows']:>7,}  "
        f"load {res['load']:.1f}"
    )


def _agree(a: list[float], b: list[float]) -> str:
    if len(a) != len(b):
        return f"differ ({len(a)} vs {len(b)} numbers)"
    worst = max(
        (abs(x - y) / max(abs(x), abs(y), 1e-12) for x, y in zip(a, b, strict=True)), default=0.0
    )
    return (
        f"agree (largest relative difference {worst:.1e})"
        if worst < 1e-6
        else (f"differ (largest relative difference {worst:.1e})")
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, nargs="+", default=[100_000_000])
    parser.add_argument("--engines", nargs="+", choices=ENGINES, default=list(ENGINES))
    parser.add_argument("--postgres-max", type=int, default=10_000_000)
    parser.add_argument("--source-customers", type=int, default=100_000)
    parser.add_argument("--server", default=SERVER)
    parser.add_argument("--spark-memory", default="6g", help="the Spark driver's heap")
    parser.add_argument("--data", type=Path, default=Path("engines-bench-data"))
    parser.add_argument("--keep", action="store_true")
    parser.add_argument(
        "--reuse", action="store_true", help="use DATA/<responses> of an earlier --keep run"
    )
    parser.add_argument(
        "--step-timeout", type=float, default=None, help="stop a child after this many seconds"
    )
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, *rest = args.child
        if kind == "simulate":
            out = child_simulate(rest[0], int(rest[1]))
        elif kind == "build":
            out = child_build(rest[0], rest[1], int(rest[2]))
        elif kind == "copy":
            out = child_copy(*rest)
        elif kind == "spark-build":
            out = child_spark(*rest)
        else:
            out = child_step(kind, rest[0], rest[1])
        print(json.dumps(out, default=str))
        return

    data = args.data.resolve()
    data.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env["REALITYGAP_HOME"] = str(data / "home")
    env.setdefault("REALITYGAP_MEMORY_LIMIT", MEMORY_CAP)
    env["PYSPARK_SUBMIT_ARGS"] = f"--driver-memory {args.spark_memory} pyspark-shell"
    print(
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {os.cpu_count()} cores, "
        f"DuckDB memory_limit {env['REALITYGAP_MEMORY_LIMIT']}, Spark "
        f"{env.get('REALITYGAP_SPARK_MASTER', 'local[2]')} driver memory {args.spark_memory}"
    )
    source = data / f"source-{args.source_customers}"
    if not (source / "realitygap.duckdb").exists():
        res = _run(["--child", "simulate", str(source), str(args.source_customers)], env)
        print(_line(f"simulate {args.source_customers:,} customers", res), flush=True)
    import duckdb

    with duckdb.connect(str(source / "realitygap.duckdb"), read_only=True) as con:
        source_responses = con.execute("SELECT count(*) FROM responses").fetchone()[0]  # type: ignore[index]

    table: dict[tuple[int, str, str], dict[str, Any]] = {}
    for wanted in args.responses:
        copies = math.ceil(wanted / source_responses)
        directory = data / str(wanted)
        directory.mkdir(parents=True, exist_ok=True)
        built_file = directory / "built.json"
        if args.reuse and built_file.exists():
            built = json.loads(built_file.read_text())
        else:
            built = _run(["--child", "build", str(source), str(directory), str(copies)], env)
            built_file.write_text(json.dumps(built))
        written = built["parquet"]["written"]
        n = written["responses"]
        print(
            f"\n{wanted:,} responses wanted: {copies} copies of the source -> "
            + ", ".join(f"{t} {r:,}" for t, r in written.items()),
            flush=True,
        )
        reused = " (reused)" if args.reuse and built_file.exists() else ""
        print(_line(f"  write Parquet{reused}", built["parquet"]))
        print(_line(f"  DuckDB workspace + grid{reused}", built["build"]), flush=True)
        duck = str(directory / "duckdb")
        schema = f"rg_engines_{uuid.uuid4().hex[:8]}"
        locations = {
            "duckdb": duck,
            "spark": f"spark://{directory / 'spark'}",
            "postgres": f"{args.server}?schema={schema}",
        }
        try:
            for engine in args.engines:
                if engine == "postgres" and n > args.postgres_max:
                    print(f"  postgres: skipped above {args.postgres_max:,} responses")
                    continue
                if engine == "spark":
                    shutil.rmtree(directory / "spark", ignore_errors=True)
                    shutil.rmtree(data / "home" / "spark", ignore_errors=True)
                    argv = ["--child", "spark-build", str(source), str(directory)]
                    res = _run([*argv, locations[engine]], env, args.step_timeout)
                    print(_line("  spark build from Parquet", res), flush=True)
                    if "timeout" in res:
                        continue
                elif engine == "postgres":
                    res = _run(["--child", "copy", duck, locations[engine], engine], env)
                    table[(n, engine, "copy")] = res
                    print(_line(f"  {engine} copy", res), flush=True)
                for step in STEPS:
                    argv = ["--child", step, locations[engine], engine]
                    res = _run(argv, env, args.step_timeout)
                    table[(n, engine, step)] = res
                    print(_line(f"  {engine} {step}", res), flush=True)
        finally:
            if "postgres" in args.engines:
                _drop_schema(args.server, schema)
            if not args.keep:
                shutil.rmtree(directory, ignore_errors=True)
        for engine in args.engines[1:] if args.engines[0] == "duckdb" else ():
            for step in STEPS:
                base, other = table.get((n, "duckdb", step)), table.get((n, engine, step))
                if base is None or other is None or "timeout" in base or "timeout" in other:
                    continue
                cpu = (other["cpu"] + other["engine_cpu"]) / (base["cpu"] or 1e-9)
                print(
                    f"  {engine}/duckdb {step:<8} wall {other['wall'] / base['wall']:6.1f}x  "
                    f"CPU (process + engine) {cpu:6.1f}x  rows to Python "
                    f"{other['rows']:,} vs {base['rows']:,}; results "
                    f"{_agree(base['digest'], other['digest'])}"
                )
    if not args.keep:
        shutil.rmtree(data / "home", ignore_errors=True)


def _drop_schema(server: str, schema: str) -> None:
    import psycopg

    from realitygap.store.location import parse_postgres

    kwargs = parse_postgres(server).connect_kwargs()
    with psycopg.connect(**kwargs, autocommit=True) as con:  # type: ignore[arg-type]
        con.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


if __name__ == "__main__":
    main()
