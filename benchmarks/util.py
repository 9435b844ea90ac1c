"""Timing, query counting, site switching and table printing for the benchmarks."""

import statistics
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


def timed_runs(fn, runs: int = 5, warmup: int = 1) -> list[float]:
	"""Seconds of each of `runs` calls of fn(run_index), after `warmup` calls that are not counted."""
	for i in range(warmup):
		fn(-1 - i)
	times = []
	for i in range(runs):
		start = time.perf_counter()
		fn(i)
		times.append(time.perf_counter() - start)
	return times


def summary(times: list[float], scale: float = 1000.0) -> tuple[float, float, float]:
	"""(median, min, max) in milliseconds by default."""
	return statistics.median(times) * scale, min(times) * scale, max(times) * scale


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


def fmt(value) -> str:
	if isinstance(value, float):
		return f"{value:,.2f}"
	if isinstance(value, int):
		return f"{value:,}"
	return str(value)
