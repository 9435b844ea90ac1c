"""The end of an approved Deal Registration's protection: converted, noticed, expired.

An approved registration protects its prospect until `protected_until` (approval + Opportunity CRM
Settings ▸ Protection (Days)). Then:

- its Opportunity became a Customer or got a Sales Order: the registration is **Converted**, at once, from
  the app's conversion path (the Customer's and the Sales Order's events, `overrides/customer.py` and
  `overrides/sales_order.py`, call `convert_registrations` after `mark_converted`), and by the
  daily job for anything that path missed;
- within Expiry Notice (Days Before) of the end: the partner user gets one e-mail (`expiry_notice_sent`);
- after the end, not converted: **Expired**, the prospect is free for other partners again; the Opportunity
  stays, with a timeline comment, and the partner is told.

The daily job (`expire_registrations`) treats each registration in its own transaction: a commit after
each one; one that fails is rolled back, logged (Error Log) and reported as failed, and the others go on.
"""

import frappe
from frappe import _
from frappe.utils import add_days, cint, today

from opportunity_crm.base.document_writes import set_on_document

DOCTYPE = "Deal Registration"
DEFAULT_DAYS = {"registration_protection_days": 90, "registration_expiry_notice_days": 7}

# An Opportunity is converted when it became a Customer or got a Sales Order: `mark_converted` dates it
# (`converted_on`) on both paths.
CONVERTED = "(o.converted_on is not null or ifnull(o.customer, '') != '')"


def set_default_registration_days() -> None:
	"""Store the settings' default days where a site has none (a Single keeps no default by itself)."""
	for field, days in DEFAULT_DAYS.items():
		if not cint(frappe.db.get_single_value("Opportunity CRM Settings", field)):
			frappe.db.set_single_value("Opportunity CRM Settings", field, days)


def setting_days(field: str) -> int:
	value = frappe.db.get_single_value("Opportunity CRM Settings", field)
	return DEFAULT_DAYS[field] if value in (None, "") else cint(value)


# Converted ------------------------------------------------------------------------------------------------


def convert_registrations(opportunity: str) -> list[str]:
	"""The approved registrations of `opportunity` become Converted (it became a Customer or got a Sales
	Order). Runs in the conversion's transaction, locking only those rows; returns their names."""
	converted = []
	for name in frappe.get_all(
		DOCTYPE, filters={"opportunity": opportunity, "status": "Approved"}, pluck="name"
	):
		registration = lock_approved(name)
		if not registration:
			continue
		set_on_document(registration, {"status": "Converted"})  # its events and a Version
		registration.add_comment(
			"Info",
			_("Converted: Opportunity {0} became a Customer or got a Sales Order.").format(opportunity),
		)
		converted.append(name)
	return converted


# The daily job --------------------------------------------------------------------------------------------


def expire_registrations() -> dict[str, list[str]]:
	"""Daily (hooks.py scheduler_events): convert, notice, expire; each registration committed on its own.
	Returns the registrations done per step and the ones that failed (rolled back, in the Error Log)."""
	done = {"converted": [], "noticed": [], "expired": [], "failed": []}
	notice_until = add_days(today(), setting_days("registration_expiry_notice_days"))
	steps = (
		("converted", f"o.name is not null and {CONVERTED}", {}, convert_one),
		(
			"noticed",
			f"r.protected_until >= %(today)s and r.protected_until <= %(notice_until)s "
			f"and r.expiry_notice_sent = 0 and not {CONVERTED}",
			{"notice_until": notice_until},
			notice_one,
		),
		("expired", f"r.protected_until < %(today)s and not {CONVERTED}", {}, expire_one),
	)
	for step, condition, values, handle in steps:
		for name in approved_registrations(condition, values):
			try:
				if handle(name):
					frappe.db.commit()
					done[step].append(name)
				else:
					frappe.db.rollback()
			except Exception:
				frappe.db.rollback()
				frappe.log_error(
					title=_("Deal Registration {0}: {1} failed").format(name, step),
					reference_doctype=DOCTYPE,
					reference_name=name,
				)
				frappe.db.commit()  # the Error Log
				done["failed"].append(name)
	return done


def approved_registrations(condition: str, values: dict) -> list[str]:
	"""Approved registrations meeting `condition` (over the registration `r` and its Opportunity `o`):
	by the `status` index, then the Opportunity by its name."""
	return frappe.db.sql_list(
		f"""select r.name from `tab{DOCTYPE}` r
		left join `tabOpportunity` o on o.name = r.opportunity
		where r.status = 'Approved' and {condition}
		order by r.name""",
		{"today": today(), **values},
	)


def lock_approved(name: str):
	"""The registration, locked, if it is still Approved (another job or a user may have moved it)."""
	if frappe.db.get_value(DOCTYPE, name, "status", for_update=True) != "Approved":
		return None
	return frappe.get_doc(DOCTYPE, name)


def convert_one(name: str) -> bool:
	registration = lock_approved(name)
	if not registration:
		return False
	return bool(convert_registrations(registration.opportunity))


def notice_one(name: str) -> bool:
	"""`expiry_notice_sent`, once; setting it sends the Notification "Deal Registration Expiry Notice"
	(setup/notifications.py). Without a partner user nobody is told: nothing is kept."""
	registration = lock_approved(name)
	if not registration or registration.expiry_notice_sent or not registration.partner_user:
		return False
	registration.db_set("expiry_notice_sent", 1, update_modified=False)
	return True


def expire_one(name: str) -> bool:
	registration = lock_approved(name)
	if not registration:
		return False
	set_on_document(registration, {"status": "Expired"})  # its events and a Version
	registration.add_comment(
		"Info",
		_("Expired: not converted by {0}; the prospect is free again.").format(
			frappe.format(registration.protected_until, "Date")
		),
	)
	if registration.opportunity and frappe.db.exists("Opportunity", registration.opportunity):
		frappe.get_doc("Opportunity", registration.opportunity).add_comment(
			"Info",
			_("Deal Registration {0} of {1} expired on {2}: the prospect is no longer protected.").format(
				registration.name,
				registration.sales_partner,
				frappe.format(registration.protected_until, "Date"),
			),
		)
	# the partner is told by the Notification "Deal Registration Expired" (setup/notifications.py)
	return True
