"""5. Bulk conversion of many Leads as a background job: queued through the API, run by a real RQ worker
(`bench worker --burst`); throughput and the worker's peak memory."""

import os
import resource
import subprocess
import time

import frappe
from data import make_leads
from util import on_site, table


def burst_worker(site: str) -> subprocess.CompletedProcess:
	return subprocess.run(
		["bench", "--site", site, "worker", "--queue", "long", "--burst"],
		cwd=os.path.dirname(os.path.abspath(".")),
		capture_output=True,
		text=True,
	)


def run(app_site: str, count: int) -> dict:
	burst_worker(app_site)  # drain what other commands queued (search index rebuilds, …)
	with on_site(app_site):
		leads = make_leads(f"BBJ{frappe.generate_hash(length=4).upper()}", count)
		from opportunity_crm.api import bulk_convert_leads

		job_id = bulk_convert_leads(leads)["job_id"]
		frappe.db.commit()

	before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
	start = time.perf_counter()
	worker = burst_worker(app_site)
	wall = time.perf_counter() - start
	peak_mib = max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024

	with on_site(app_site):
		from frappe.utils.background_jobs import get_redis_conn
		from rq.job import Job

		job = Job.fetch(job_id, connection=get_redis_conn())
		elapsed = (job.ended_at - job.started_at).total_seconds() if job.ended_at else wall
		converted = frappe.db.count("Opportunity", {"lead": ("in", leads)})
	table(
		f"5. Bulk conversion of {count:,} Leads (2 Addresses + 2 Contacts each) as one background job",
		[
			"Leads converted",
			"job seconds",
			"Leads per second",
			"worker wall seconds",
			"worker peak RSS (MiB)",
		],
		[[converted, elapsed, converted / elapsed, wall, peak_mib]],
		"" if worker.returncode == 0 else f"worker exited {worker.returncode}: {worker.stderr[-500:]}",
	)
	return {"throughput": converted / elapsed, "peak_mib": peak_mib}
