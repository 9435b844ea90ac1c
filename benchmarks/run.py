"""Run the benchmarks (insert and save, Lead ▸ Opportunity, form load, pipeline report, bulk job, list
page, movement report), print their tables, keep the raw runs as JSON and draw the chart. From the
bench's sites folder:

    ../env/bin/python ../apps/opportunity_crm/benchmarks/run.py --app-site A --stock-site S [--quick] \
        [--json results/DATE.json] [--chart ../docs/benchmarks.png] [--only lead_conversion ...] \
        [--convert LEADS] [--runs N]

`benchmarks/run` (bash) makes the two sites from a clean ERPNext database first. Each benchmark measures
the two sites in turns (util.interleaved). Not part of the test suite: it measures, it asserts nothing,
and exits 0.
"""

import argparse
import datetime
import json
import os
import platform
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bulk_job
import form_load
import frappe
import insert_save
import lead_conversion
import list_page
import movement_report
import pipeline_report

SCALES = {
	# convert, runs, dynamic link sizes, report opportunities, bulk job (Leads per job, rounds per site)
	"full": (1000, 5, [10_000, 1_000_000], 100_000, (1000, 3)),
	"quick": (100, 5, [10_000, 100_000], 10_000, (100, 3)),
}


STEPS = [
	"insert_save",
	"lead_conversion",
	"form_load",
	"pipeline_report",
	"bulk_job",
	"list_page",
	"movement_report",
]


def machine() -> str:
	with open("/proc/meminfo") as f:
		mem_kib = int(f.readline().split()[1])
	return f"{os.cpu_count()} cores, {mem_kib / 1024 / 1024:.0f} GiB RAM, {platform.platform()}"


def main():
	parser = argparse.ArgumentParser()
	parser.add_argument("--app-site", required=True)
	parser.add_argument("--stock-site", required=True)
	parser.add_argument("--quick", action="store_true")
	parser.add_argument("--json", help="where to keep every run's figures")
	parser.add_argument("--chart", help="where to draw the PNG (needs matplotlib)")
	parser.add_argument(
		"--only",
		nargs="+",
		choices=STEPS,
		help="run only these benchmarks (e.g. --only lead_conversion --convert 200 --runs 7)",
	)
	parser.add_argument("--convert", type=int, help="Leads converted per site (lead_conversion)")
	parser.add_argument("--runs", type=int, help="measured runs per site")
	args = parser.parse_args()
	convert, runs, sizes, opportunities, (bulk, rounds) = SCALES["quick" if args.quick else "full"]
	convert, runs = args.convert or convert, args.runs or runs

	from util import on_site

	with on_site(args.app_site):
		versions = f"MariaDB {frappe.db.sql('select version()')[0][0]}, Frappe {frappe.__version__}"
		import erpnext

		versions += f", ERPNext {erpnext.__version__}"
	print(f"machine: {machine()}\ndatabase and apps: {versions}")
	if args.quick:
		print("QUICK RUN: small data sets; the figures are indicative only")

	results = {
		"date": datetime.date.today().isoformat(),
		"quick": args.quick,
		"machine": machine(),
		"versions": versions,
		"benchmarks": [],
	}
	steps = {
		"insert_save": lambda: insert_save.run(args.app_site, args.stock_site, runs),
		"lead_conversion": lambda: lead_conversion.run(args.app_site, args.stock_site, convert, runs),
		"form_load": lambda: form_load.run(args.app_site, args.stock_site, sizes, runs),
		"pipeline_report": lambda: pipeline_report.run(args.app_site, args.stock_site, opportunities, runs),
		"bulk_job": lambda: bulk_job.run(args.app_site, args.stock_site, bulk, rounds),
		# last: it adds 1,000,000 Opportunities (quick: 100,000) to the app site, which the others would read
		"list_page": lambda: list_page.run(args.app_site, 100_000 if args.quick else 1_000_000, runs * 3),
		# on a site of its own (made here): 500,000 Opportunities and 5,000,000 movements (quick: a tenth)
		"movement_report": lambda: movement_report.run(
			opportunities=50_000 if args.quick else 500_000, runs=runs, make=True
		),
	}
	assert list(steps) == STEPS
	for name, step in steps.items():
		if args.only and name not in args.only:
			continue
		results["benchmarks"].append(step())
		if args.json:  # after each benchmark, so that a failure later keeps what was measured
			with open(args.json, "w") as f:
				json.dump(results, f, indent=1)
	if args.chart:
		import chart

		chart.draw(results, args.chart)
		print(f"\nchart: {os.path.basename(args.chart)} (in docs/)")


if __name__ == "__main__":
	main()
