"""Convert many Leads at once, as a background job with a progress bar and a summary.

Each Lead converts in its own savepoint: one failure leaves nothing half-written and does not stop the
others. The job commits as it goes, so a long run keeps what it converted.
"""

import frappe
from frappe import _

from opportunity_crm.crm.lead_conversion import convert_lead

REALTIME_EVENT = "opportunity_crm_bulk_conversion"
COMMIT_EVERY = 50


def enqueue_conversion(leads: list[str], **options) -> str:
	job = frappe.enqueue(
		"opportunity_crm.crm.bulk_conversion.convert_leads",
		queue="long",
		timeout=6 * 3600,
		leads=leads,
		notify_user=frappe.session.user,
		now=frappe.flags.in_test,
		**options,
	)
	return job.id if job and hasattr(job, "id") else None


def convert_leads(leads: list[str], notify_user: str | None = None, **options) -> dict:
	"""Convert each Lead; return {"converted": [...], "skipped": [...], "failed": [...]}."""
	summary = {"converted": [], "skipped": [], "failed": []}
	existing = dict(
		frappe.get_all("Opportunity", filters={"lead": ("in", leads)}, fields=["lead", "name"], as_list=True)
	)
	total = len(leads)
	for done, lead in enumerate(leads, start=1):
		if lead in existing:
			summary["skipped"].append({"lead": lead, "opportunity": existing[lead]})
		else:
			try:
				opportunity = convert_lead(lead, **options)
				summary["converted"].append({"lead": lead, "opportunity": opportunity})
			except Exception as e:
				frappe.clear_last_message()
				summary["failed"].append({"lead": lead, "reason": failure_reason(e)})
		if done % COMMIT_EVERY == 0 and not frappe.flags.in_test:
			frappe.db.commit()
		if done == total or done % max(1, total // 100) == 0:  # at most about 100 progress messages
			frappe.publish_progress(
				done * 100 / total,
				title=_("Converting Leads to Opportunities"),
				description=_("{0} of {1}").format(done, total),
			)

	frappe.publish_realtime(
		REALTIME_EVENT, summary, user=notify_user or frappe.session.user, after_commit=True
	)
	return summary


def failure_reason(error: Exception) -> str:
	message = str(error) or type(error).__name__
	return frappe.utils.strip_html(message)
