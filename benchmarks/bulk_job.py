"""5. Bulk conversion of many Leads as a background job, run by a real RQ worker (`bench worker --burst`),
against its stock baseline: stock ERPNext has no bulk conversion, so the baseline is the nearest stock
equivalent, one background job that loops over the same Leads with ERPNext's make_opportunity + insert
(`stock_convert_leads` below), committing each as the app's job does. Rounds in turns: app job, stock
job, app job, …; throughput from the job's own start and end times, and the worker's peak memory."""

import os
import subprocess
import time

import frappe
from data import make_leads
from util import SPREAD, on_site, summary, table

HERE = os.path.dirname(os.path.abspath(__file__))


def stock_convert_leads(leads: list[str]) -> dict:
	"""The stock baseline, run in the worker of the stock site (enqueued by its dotted path)."""
	from erpnext.crm.doctype.lead.lead import make_opportunity

	converted, failed = 0, 0
	for lead in leads:
		try:
			make_opportunity(lead).insert()
			frappe.db.commit()
			converted += 1
		except Exception:
			frappe.db.rollback()
			failed += 1
	return {"converted": converted, "failed": failed}


def burst_worker(site: str) -> tuple[int, float, float]:
	"""Run a worker until the long queue is empty: (exit status, wall seconds, peak RSS in MiB of the
	largest of the worker and the work horses it forks, sampled every 0.1 s; not the rusage of the
	child, which counts the RSS of this process at the fork)."""
	import psutil

	command = ["../env/bin/python", "-m", "frappe.utils.bench_helper", "frappe", "--site", site]
	start = time.perf_counter()
	process = subprocess.Popen(
		[*command, "worker", "--queue", "long", "--burst"],
		env={**os.environ, "PYTHONPATH": HERE},
		stdout=subprocess.DEVNULL,
		stderr=subprocess.DEVNULL,
	)
	peak, worker = 0, psutil.Process(process.pid)
	while process.poll() is None:
		try:
			for p in [worker, *worker.children(recursive=True)]:
				peak = max(peak, p.memory_info().rss)
		except psutil.Error:
			pass
		time.sleep(0.1)
	return process.returncode, time.perf_counter() - start, peak / 1024 / 1024


def enqueue(side: str, leads: list[str]) -> str:
	if side == "app":
		from opportunity_crm.api import bulk_convert_leads

		return bulk_convert_leads(leads)["job_id"]
	# The function itself, not its dotted path: frappe.get_attr only imports from installed apps. RQ
	# pickles it by reference; the worker imports this module through PYTHONPATH (burst_worker).
	return frappe.enqueue(stock_convert_leads, queue="long", timeout=6 * 3600, leads=leads).id


def one_round(side: str, site: str, count: int) -> dict:
	with on_site(site):
		leads = make_leads(f"BBJ{frappe.generate_hash(length=4).upper()}", count)
		job_id = enqueue(side, leads)
		frappe.db.commit()
	status, wall, peak = burst_worker(site)
	with on_site(site):
		from frappe.utils.background_jobs import get_redis_conn
		from rq.job import Job

		job = Job.fetch(job_id, connection=get_redis_conn())
		seconds = (job.ended_at - job.started_at).total_seconds() if job.ended_at else wall
		status = f"{status}/{job.get_status()}"
		field = "lead" if side == "app" else "party_name"
		converted = frappe.db.count("Opportunity", {field: ("in", leads)})
	return {"seconds": seconds, "converted": converted, "wall": wall, "peak": peak, "status": status}


def run(app_site: str, stock_site: str, count: int, rounds: int) -> dict:
	sites = {"app": app_site, "stock": stock_site}
	for site in sites.values():
		burst_worker(site)  # drain what other commands queued (search index rebuilds, …)
	results = {"app": [], "stock": []}
	for _round in range(rounds):
		for side, site in sites.items():
			results[side].append(one_round(side, site, count))
	rows, series = [], {}
	for side, label in (("stock", "stock make_opportunity loop"), ("app", "opportunity_crm bulk job")):
		r = results[side]
		rate = [x["converted"] / x["seconds"] for x in r]
		series[label] = rate
		rows.append(
			[
				label,
				*summary(rate, 1),
				" ".join(f"{x['converted']:,}" for x in r),
				max(x["peak"] for x in r),
				" ".join(str(x["status"]) for x in r),
			]
		)
	ratio = (
		summary(series["opportunity_crm bulk job"], 1)[0]
		/ summary(series["stock make_opportunity loop"], 1)[0]
	)
	table(
		f"5. Bulk conversion of {count:,} Leads (2 Addresses + 2 Contacts each) as one background job, "
		f"Leads per second ({rounds} rounds per site, in turns app/stock)",
		["job", *SPREAD, "converted per round", "worker peak RSS (MiB)", "worker exit/job status"],
		rows,
		f"ratio app / stock throughput (median): {ratio:.2f}   (the app's job also links addresses and "
		"contacts, audits and reports progress in real time)",
	)
	return {
		"title": f"5. Bulk job, {count:,} Leads (Leads per second, higher is better)",
		"series": series,
		"ratio": ratio,
	}
