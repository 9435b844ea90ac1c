"""Interleaved timing on two sites, query counting, spread and table printing for the benchmarks.

Stock and app are measured in turns, inside one time window: each site gets a process of its own that
stays connected (warm caches on both sides), and the parent tells them, in turn, app, stock, app,
stock…, to run one measured step. Machine noise (other users of the 2 cores, MariaDB flushing) then falls
on both columns instead of on whichever ran second.
"""

import multiprocessing
import os
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager

import frappe


@contextmanager
def on_site(site: str):
	frappe.init(site=site, sites_path=".")
	frappe.connect()
	frappe.set_user("Administrator")
	frappe.flags.mute_emails = True
	try:
		yield
	finally:
		frappe.db.commit()
		frappe.destroy()


def _serve(site: str, setup, conn) -> None:
	"""In a site's process: setup() returns step(run_index) (or step, info); time each step asked for."""
	try:
		with on_site(site):
			made = setup()
			step, info = made if isinstance(made, tuple) else (made, None)
			conn.send(("ready", info))
			while (run := conn.recv()) is not None:
				start = time.perf_counter()
				extra = step(run)
				conn.send(("done", (time.perf_counter() - start, extra)))
	except BaseException as e:  # report it to the parent instead of hanging it
		import traceback

		conn.send(("error", f"{site}: {e!r}\n{traceback.format_exc()}"))


def interleaved(sides: dict, runs: int, warmup: int = 1) -> dict:
	"""sides: {label: (site, setup)}. Runs `warmup` unmeasured then `runs` measured steps on each side,
	alternating sides step by step (app, stock, app, stock…). Returns {label: {"times": [seconds],
	"extra": [what each step returned], "info": what setup returned}}."""
	context = multiprocessing.get_context("fork")
	workers = {}
	for label, (site, setup) in sides.items():
		parent, child = context.Pipe()
		process = context.Process(target=_serve, args=(site, setup, child), daemon=True)
		process.start()
		workers[label] = (process, parent)
	results = {}
	try:
		for label, (_process, conn) in workers.items():
			results[label] = {"times": [], "extra": [], "info": _receive(conn)}
		for run in range(-warmup, runs):
			for label, (_process, conn) in workers.items():
				conn.send(run)
				seconds, extra = _receive(conn)
				if run >= 0:
					results[label]["times"].append(seconds)
					results[label]["extra"].append(extra)
	finally:
		for process, conn in workers.values():
			try:
				conn.send(None)
			except (BrokenPipeError, OSError):
				pass
			process.join(timeout=60)
	return results


def _receive(conn):
	kind, payload = conn.recv()
	if kind == "error":
		raise RuntimeError(payload)
	return payload


def timed_runs(fn, runs: int = 5, warmup: int = 1) -> list[float]:
	"""Seconds of each of `runs` calls of fn(run_index), after `warmup` calls that are not counted (one
	site, nothing to interleave: benchmarks that compare two sites use `interleaved`)."""
	for i in range(warmup):
		fn(-1 - i)
	times = []
	for i in range(runs):
		start = time.perf_counter()
		fn(i)
		times.append(time.perf_counter() - start)
	return times


def summary(times: list[float], scale: float = 1000.0) -> list[float]:
	"""[median, min, max, IQR (Q3 - Q1)] in milliseconds by default."""
	values = sorted(t * scale for t in times)
	if len(values) > 1:
		q1, _q2, q3 = statistics.quantiles(values, n=4, method="inclusive")
	else:
		q1 = q3 = values[0]
	return [statistics.median(values), values[0], values[-1], q3 - q1]


SPREAD = ["median", "min", "max", "IQR"]


@contextmanager
def count_queries():
	"""Count the SQL statements run inside the block: yields a list that fills up."""
	queries = []
	original = frappe.db.sql

	def counting(query, *args, **kwargs):
		queries.append(str(query))
		return original(query, *args, **kwargs)

	frappe.db.sql = counting
	try:
		yield queries
	finally:
		frappe.db.sql = original


def table(title: str, header: list[str], rows: list[list], note: str = "") -> None:
	cells = [header] + [[fmt(c) for c in row] for row in rows]
	widths = [max(len(str(row[i])) for row in cells) for i in range(len(header))]
	line = "+-" + "-+-".join("-" * w for w in widths) + "-+"
	print(f"\n{title}")
	print(line)
	for n, row in enumerate(cells):
		print(
			"| "
			+ " | ".join(str(c).rjust(w) if n else str(c).ljust(w) for c, w in zip(row, widths, strict=True))
			+ " |"
		)
		if n == 0:
			print(line)
	print(line)
	if note:
		print(note)
	import sys

	sys.stdout.flush()


def fmt(value) -> str:
	if isinstance(value, float):
		return f"{value:,.2f}"
	if isinstance(value, int):
		return f"{value:,}"
	return str(value)


# Sites of their own (the benchmarks that need millions of rows) ------------------------------------------


def bench(*args: str) -> None:
	"""A bench command, run as `bench` runs it from the sites folder; exits with its output if it fails."""
	done = subprocess.run(
		[sys.executable, "-m", "frappe.utils.bench_helper", "frappe", *args], capture_output=True, text=True
	)
	if done.returncode:
		sys.exit(f"bench {' '.join(args)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")


def make_site(site: str, root_password: str, install: bool = True) -> None:
	"""`site` afresh from the clean ERPNext database `.ci/run` keeps, with the app unless `install` is
	False."""
	bench_path = os.path.dirname(os.path.abspath("."))
	clean_db = os.path.join(bench_path, ".opportunity_crm_ci", "erpnext-clean.sql.gz")
	if not os.path.exists(clean_db):
		sys.exit("no clean ERPNext database in the bench's .opportunity_crm_ci: run .ci/run once first")
	drop_site(site, root_password)
	bench(
		"new-site",
		site,
		"--source_sql",
		clean_db,
		"--db-root-password",
		root_password,
		"--admin-password",
		"admin",
		"--mariadb-user-host-login-scope=localhost",
	)
	if install:
		bench("--site", site, "install-app", "opportunity_crm")


def drop_site(site: str, root_password: str) -> None:
	if os.path.isdir(site):
		bench("drop-site", site, "--force", "--no-backup", "--db-root-password", root_password)
