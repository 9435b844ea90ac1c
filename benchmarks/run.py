"""Run the five benchmarks and print their tables. From the bench's sites folder:

    ../env/bin/python ../apps/opportunity_crm/benchmarks/run.py --app-site A --stock-site S [--quick]

`benchmarks/run` (bash) makes the two sites from a clean ERPNext database first. Not part of the test
suite: it measures, it asserts nothing, and exits 0.
"""

import argparse
import os
import platform
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bulk_job
import form_load
import frappe
import insert_save
import lead_conversion
import pipeline_report

SCALES = {
	# convert, runs, dynamic link sizes, report opportunities, bulk job leads
	"full": (1000, 5, [10_000, 1_000_000], 100_000, 10_000),
	"quick": (100, 5, [10_000, 100_000], 10_000, 200),
}


def machine() -> str:
	with open("/proc/meminfo") as f:
		mem_kib = int(f.readline().split()[1])
	return f"{os.cpu_count()} cores, {mem_kib / 1024 / 1024:.0f} GiB RAM, {platform.platform()}"


def main():
	parser = argparse.ArgumentParser()
	parser.add_argument("--app-site", required=True)
	parser.add_argument("--stock-site", required=True)
	parser.add_argument("--quick", action="store_true")
	args = parser.parse_args()
	convert, runs, sizes, opportunities, bulk = SCALES["quick" if args.quick else "full"]

	from util import on_site

	with on_site(args.app_site):
		versions = f"MariaDB {frappe.db.sql('select version()')[0][0]}, Frappe {frappe.__version__}"
		import erpnext

		versions += f", ERPNext {erpnext.__version__}"
	print(f"machine: {machine()}\ndatabase and apps: {versions}")

	insert_save.run(args.app_site, args.stock_site, runs)
	lead_conversion.run(args.app_site, args.stock_site, convert, runs)
	form_load.run(args.app_site, sizes, runs)
	pipeline_report.run(args.app_site, opportunities, runs)
	bulk_job.run(args.app_site, bulk)


if __name__ == "__main__":
	main()
