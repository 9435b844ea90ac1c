"""One conversion in a process of its own, for the concurrency tests.

python -m opportunity_crm.tests.concurrent_worker SITE convert_lead|create_customer NAME START_AT
(run from the bench's sites folder). Waits until START_AT (epoch seconds) so that all workers call at
once, commits, and prints {"ok": result} or {"error": exc_type, "message": ...} as JSON.
"""

import json
import sys
import time

import frappe


def main(site: str, action: str, name: str, start_at: float) -> None:
	frappe.init(site=site, sites_path=".")
	frappe.connect()
	frappe.set_user("Administrator")
	from opportunity_crm import api

	time.sleep(max(0.0, start_at - time.time()))
	try:
		result = getattr(api, action)(name)
		frappe.db.commit()
		outcome = {"ok": result}
	except Exception as e:
		frappe.db.rollback()
		outcome = {"error": type(e).__name__, "message": str(e)}
	finally:
		frappe.destroy()
	print(json.dumps(outcome))


if __name__ == "__main__":
	main(sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4]))
