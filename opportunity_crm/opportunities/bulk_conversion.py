"""Convert many Leads at once, as a background job with a progress bar and a summary.

Each Lead is a transaction of its own: converted and committed, or rolled back and reported failed with
the reason; one failure does not stop the others. A Lead whose conversion MariaDB picked as a deadlock
victim (which rolls back that whole transaction) is converted again, up to `ATTEMPTS` times. So the
summary is what the database holds after the job: every Lead reported converted has its committed
Opportunity, none reported failed has one.
"""

import frappe
from frappe import _

from opportunity_crm.base.atomic import ATTEMPTS, run_retrying, transaction_lost
from opportunity_crm.exceptions import BusyError, DuplicateOpportunityError
from opportunity_crm.opportunities.lead_conversion import convert_lead

REALTIME_EVENT = "opportunity_crm_bulk_conversion"


def enqueue_conversion(leads: list[str], **options) -> str:
	job = frappe.enqueue(
		"opportunity_crm.opportunities.bulk_conversion.convert_leads",
		queue="long",
		timeout=6 * 3600,
		leads=leads,
		notify_user=frappe.session.user,
		now=frappe.flags.in_test,
		**options,
	)
	return job.id if job and hasattr(job, "id") else None


def convert_leads(leads: list[str], notify_user: str | None = None, **options) -> dict:
	"""Convert each Lead, committing each one; return {"converted": [...], "skipped": [...], "failed": [...]}.

	Commits: whatever the caller wrote before is committed first, so that a deadlock in the first Lead
	cannot take it away (a job starts with nothing written).
	"""
	frappe.db.commit()
	summary = {"converted": [], "skipped": [], "failed": []}
	existing = dict(
		frappe.get_all("Opportunity", filters={"lead": ("in", leads)}, fields=["lead", "name"], as_list=True)
	)
	total = len(leads)
	for done, lead in enumerate(leads, start=1):
		if lead in existing:
			summary["skipped"].append({"lead": lead, "opportunity": existing[lead]})
		else:
			outcome, row = convert_one(lead, options)
			summary[outcome].append(row)
		if done == total or done % max(1, total // 100) == 0:  # at most about 100 progress messages
			frappe.publish_progress(
				done * 100 / total,
				title=_("Converting Leads to Opportunities"),
				description=_("{0} of {1}").format(done, total),
			)

	frappe.publish_realtime(
		REALTIME_EVENT, summary, user=notify_user or frappe.session.user, after_commit=True
	)
	frappe.db.commit()
	return summary


def convert_one(lead: str, options: dict) -> tuple[str, dict]:
	"""Convert one Lead in a transaction of its own: ("converted" | "skipped" | "failed", summary row)."""
	try:
		opportunity = run_retrying(lambda: convert_lead(lead, **options))
		frappe.db.commit()
		return "converted", {"lead": lead, "opportunity": opportunity}
	except Exception as error:
		frappe.db.rollback()  # also drops what the failed conversion queued for after the commit
		frappe.local.message_log = []
		if isinstance(error, DuplicateOpportunityError):  # converted by someone else meanwhile
			existing = frappe.db.get_value("Opportunity", {"lead": lead})
			if existing:
				return "skipped", {"lead": lead, "opportunity": existing}
		return "failed", {"lead": lead, "reason": failure_reason(error)}


def failure_reason(error: Exception) -> str:
	if isinstance(error, BusyError):
		if transaction_lost(error):
			return _("Picked as a deadlock victim {0} times by concurrent work; convert it again.").format(
				ATTEMPTS
			)
		return _("Waited too long for records locked by concurrent work; convert it again.")
	message = str(error) or type(error).__name__
	return frappe.utils.strip_html(message)
