"""6. install-app on a site with history made by stock ERPNext: how long the backfill takes, its peak memory
and the SQL statements it runs per 1,000 Opportunities. From the bench's sites folder:

    ../env/bin/python ../apps/opportunity_crm/benchmarks/install_history.py [--opportunities N] [--quick]

Makes the site bench-history.localhost from the clean ERPNext database that `.ci/run` keeps, writes the
history there with `opportunity_crm.demo.generate_history` while the app is NOT installed, then runs
install-app in a process of its own that records the backfill (`backfill_history`, called by the app's
`after_install`), and the backfill once more, as the migrate patch would on a site already linked.
Prints figures; asserts nothing.
"""

import argparse
import json
import os
import subprocess
import sys
import time
from collections import Counter

SITE = "bench-history.localhost"
MARKER = "FIGURES: "


# In the measuring processes -----------------------------------------------------------------------------


def proc_status(field: str) -> float:
	"""A field of /proc/self/status in MiB (VmRSS, VmHWM)."""
	with open("/proc/self/status") as f:
		for line in f:
			if line.startswith(field + ":"):
				return int(line.split()[1]) / 1024
	return 0.0


def reset_peak_memory() -> None:
	"""Start VmHWM again from the current RSS (Linux: write 5 to clear_refs)."""
	with open("/proc/self/clear_refs", "w") as f:
		f.write("5")


def measured_backfill(figures: dict):
	"""Wrap the backfill (and its index creation) to time it, count its statements and its peak RSS."""
	import frappe

	from opportunity_crm.opportunities import history
	from opportunity_crm.setup import install

	backfill, ensure_indexes = install.backfill_history, history.ensure_history_indexes

	def timed_indexes():
		start = time.perf_counter()
		ensure_indexes()
		figures["index_seconds"] = time.perf_counter() - start
		figures["index_statements"] = len(statements)

	def wrapper(*args, **kwargs):
		original_sql = frappe.db.sql

		def counting(query, *a, **kw):
			statements.append(" ".join(str(query).split()[:3]))
			return original_sql(query, *a, **kw)

		reset_peak_memory()
		figures["rss_before_mib"] = proc_status("VmRSS")
		frappe.db.sql = counting
		start = time.perf_counter()
		try:
			figures["changed"] = backfill(*args, **kwargs)
		finally:
			frappe.db.sql = original_sql
		figures["seconds"] = time.perf_counter() - start
		figures["statements"] = len(statements)
		figures["statement_kinds"] = dict(Counter(statements).most_common())
		figures["peak_rss_mib"] = proc_status("VmHWM")
		return figures["changed"]

	statements: list[str] = []
	install.backfill_history = wrapper
	history.ensure_history_indexes = timed_indexes
	return wrapper


def in_process(mode: str, site: str, opportunities: int) -> None:
	import frappe

	frappe.init(site=site, sites_path=".")
	frappe.connect()
	frappe.set_user("Administrator")
	figures: dict = {}
	try:
		if mode == "generate":
			from opportunity_crm.demo import generate_history

			start = time.perf_counter()
			figures["made"] = generate_history(opportunities=opportunities, seed=42)
			figures["seconds"] = time.perf_counter() - start
		elif mode == "install":
			from frappe.installer import install_app

			measured_backfill(figures)
			start = time.perf_counter()
			install_app("opportunity_crm")
			frappe.db.commit()
			figures["install_seconds"] = time.perf_counter() - start
		elif mode == "again":
			from opportunity_crm.setup import install

			measured_backfill(figures)
			install.backfill_history()
		figures.update(state())
		frappe.db.commit()
	finally:
		frappe.destroy()
	print(MARKER + json.dumps(figures, default=str))


def state() -> dict:
	import frappe

	from opportunity_crm.tests.history import counts

	values = counts()
	if "Opportunity with lead" in values:
		from opportunity_crm.tests.history import missing_party_links

		values["Opportunity party links missing"] = len(missing_party_links())
		values["Leads with several Opportunities"] = frappe.db.sql(
			"""select count(*) from (select party_name from `tabOpportunity` where opportunity_from = 'Lead'
			group by party_name having count(*) > 1) several"""
		)[0][0]
	return {"state": values}


# The driver ---------------------------------------------------------------------------------------------


def child(mode: str, site: str, opportunities: int) -> dict:
	done = subprocess.run(
		[
			sys.executable,
			os.path.abspath(__file__),
			*("--in-process", mode, "--site", site, "--opportunities", str(opportunities)),
		],
		capture_output=True,
		text=True,
	)
	lines = [line for line in done.stdout.splitlines() if line.startswith(MARKER)]
	if done.returncode or not lines:
		sys.exit(f"{mode} failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
	return json.loads(lines[-1][len(MARKER) :])


def run(opportunities: int, root_password: str) -> dict:
	sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
	from util import make_site, table

	make_site(SITE, root_password, install=False)  # the app comes after the history
	generated = child("generate", SITE, opportunities)
	installed = child("install", SITE, opportunities)
	again = child("again", SITE, opportunities)

	count = generated["state"]["Opportunity"]
	per_thousand = 1000 / count
	table(
		f"6. install-app on a site with {count:,} Opportunities of stock-ERPNext history: the backfill",
		["run", "seconds", "of which indexes", "statements", "per 1,000 Opp.", "RSS before", "peak RSS"],
		[
			[
				f"install-app (whole install {installed['install_seconds']:.1f} s)",
				installed["seconds"],
				installed["index_seconds"],
				installed["statements"],
				(installed["statements"] - installed["index_statements"]) * per_thousand,
				installed["rss_before_mib"],
				installed["peak_rss_mib"],
			],
			[
				"again (the migrate patch, already linked)",
				again["seconds"],
				again["index_seconds"],
				again["statements"],
				(again["statements"] - again["index_statements"]) * per_thousand,
				again["rss_before_mib"],
				again["peak_rss_mib"],
			],
		],
		"   statements per 1,000 Opportunities leave out the index checks/creation; RSS in MiB (VmRSS, and "
		"VmHWM reset at the start of the backfill)",
	)
	before, after = generated["state"], installed["state"]
	table(
		f"   rows: history written in {generated['seconds']:.0f} s -> after install-app",
		["", "before", "after"],
		[[key, before.get(key, "(no column)"), after[key]] for key in after],
		f"   changed by the install: {installed['changed']}; by the second run: {again['changed']}\n"
		f"   statements of the install's backfill: {installed['statement_kinds']}",
	)
	return {"seconds": installed["seconds"], "peak_rss_mib": installed["peak_rss_mib"]}


def main():
	parser = argparse.ArgumentParser()
	parser.add_argument("--opportunities", type=int, default=100_000)
	parser.add_argument("--quick", action="store_true", help="10,000 Opportunities")
	parser.add_argument("--in-process", choices=["generate", "install", "again"])
	parser.add_argument("--site", default=SITE)
	parser.add_argument("--app-site")  # accepted (and ignored) so that benchmarks/run can pass its arguments
	parser.add_argument("--stock-site")
	args = parser.parse_args()
	if args.in_process:
		in_process(args.in_process, args.site, args.opportunities)
		return
	run(10_000 if args.quick else args.opportunities, os.environ.get("DB_ROOT_PASSWORD", "root"))


if __name__ == "__main__":
	main()
