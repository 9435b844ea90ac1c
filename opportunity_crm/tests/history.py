"""A site with history made by STOCK ERPNext, for `test_history`.

`seed` runs on a site where opportunity_crm is NOT installed (none of its hooks run): it makes records the
way a desk user of stock ERPNext makes them (ERPNext's mappers, inserts and submits). The test then
installs the app on that site and `check` looks at what the install did and whether ERPNext's own paths
still go through on that history. Run in a process of its own, from the bench's sites folder:

    ../env/bin/python -m opportunity_crm.tests.history SITE seed|check

It prints one line `HISTORY-JSON: {...}` with the result. Both also run under `bench --site SITE execute
opportunity_crm.tests.history.seed` (which prints the result as JSON).
"""

import json
import sys
import traceback

import frappe
from frappe.utils import add_days, add_to_date, now_datetime, nowdate

PREFIX = "HIST"
ITEM = f"{PREFIX} Konsultasi"
LOST_REASON = f"{PREFIX} Harga"
MARKER = "HISTORY-JSON: "

# What each Lead of the seed tests, and which of its Opportunities must become the Lead's one.
# Opportunities are made in the listed order (the first is the oldest).
LEADS = {
	# two plain open Opportunities: the oldest is the Lead's; both stay usable
	"two_open": ["open", "open"],
	# the newer one has a submitted Quotation, the older one has none but is still open
	"quoted_beats_oldest": ["open", "quoted"],
	# the newer one became a Customer (Opportunity ▸ Customer), the older one was quoted
	"customer_beats_quoted": ["quoted", "customer"],
	# the middle one has a submitted Sales Order (ERPNext makes the Lead's Customer for it); the oldest is
	# Lost, the newest is open
	"ordered_beats_open": ["lost", "ordered", "open"],
	# quoted, then a newer Replied one untouched for longer than the auto-close window
	"replied_history": ["quoted", "replied"],
	# one Opportunity that became a Customer
	"single_customer": ["customer"],
	# Lead ▸ Customer before the Lead's Opportunity was made, and after
	"customer_before": ["lead_customer_before"],
	"customer_after": ["lead_customer_after"],
}
EXPECTED_CHOICE = {
	"two_open": 0,
	"quoted_beats_oldest": 1,
	"customer_beats_quoted": 1,
	"ordered_beats_open": 1,
	"replied_history": 0,
	"single_customer": 0,
	"customer_before": 0,
	"customer_after": 0,
}


# Seed (stock ERPNext) ---------------------------------------------------------------------------------


def seed() -> dict:
	"""Make the history; return the names the checks need and the row counts."""
	if "opportunity_crm" in frappe.get_installed_apps():
		frappe.throw("history.seed runs on a site WITHOUT opportunity_crm: its hooks must not run")
	frappe.set_user("Administrator")
	frappe.flags.mute_emails = True
	company = frappe.defaults.get_global_default("company")
	made = {"company": company, "leads": {}, "opportunities": {}, "customers": {}, "quotations": {}}
	basics()
	tick = iter(range(1, 1000))

	for key, steps in LEADS.items():
		lead = make_lead(key)
		made["leads"][key] = lead
		names = []
		for step in steps:
			if step == "lead_customer_before":
				made["customers"][key] = lead_to_customer(lead)
			opportunity = make_opportunity("Lead", lead, with_items=len(names) % 2 == 0)
			backdate("Opportunity", opportunity, next(tick))
			names.append(opportunity)
			if step == "quoted":
				made["quotations"][opportunity] = quote(opportunity)
			elif step == "customer":
				made["quotations"][opportunity] = quote(opportunity)
				made["customers"][f"{key}:{opportunity}"] = opportunity_to_customer(opportunity)
			elif step == "ordered":
				quotation = quote(opportunity)
				made["quotations"][opportunity] = quotation
				order(quotation)
				made["customers"][key] = frappe.db.get_value("Customer", {"lead_name": lead})
			elif step == "lost":
				frappe.get_doc("Opportunity", opportunity).declare_enquiry_lost(
					[{"lost_reason": LOST_REASON}], [], "Terlalu mahal"
				)
			elif step == "replied":
				make_replied(opportunity)
			elif step == "lead_customer_after":
				made["customers"][key] = lead_to_customer(lead)
		made["opportunities"][key] = names

	# A Customer with its own Addresses and Contacts and two Opportunities: one quoted and ordered, one
	# Replied long ago; a Quotation whose Sales Order failed in ERPNext's bulk Quotation ▸ Sales Order.
	customer = make_customer(f"{PREFIX} PT Pelanggan Lama")
	made["customers"]["direct"] = customer
	for_customer = [make_opportunity("Customer", customer, with_items=True) for _ in range(4)]
	made["opportunities"]["customer"] = for_customer
	order(quote(for_customer[0]))
	make_replied(for_customer[1])
	made["bulk_failed"] = [bulk_failed(quote(for_customer[2]))]
	# ... and the same for a Lead's Quotation (ordering it makes the Lead's Customer)
	made["bulk_failed"].append(bulk_failed(made["quotations"][made["opportunities"]["replied_history"][0]]))

	# A Prospect with its own Address and Contact, and its Opportunity
	prospect = make_prospect(f"{PREFIX} CV Calon Pelanggan")
	made["prospect"] = prospect
	made["opportunities"]["prospect"] = [make_opportunity("Prospect", prospect, with_items=False)]

	# A submitted Quotation past its validity (ERPNext's daily job sets it Expired) and an Event today on a
	# Lost history Opportunity (ERPNext's daily job reopens it)
	made["expired_quotation"] = quote(for_customer[3], valid_till=add_days(nowdate(), -1))
	made["event_opportunity"] = made["opportunities"]["ordered_beats_open"][0]
	make_event_today("Opportunity", made["event_opportunity"])

	frappe.db.commit()
	made["counts"] = counts()
	return made


def basics() -> None:
	if not frappe.db.exists("Item", ITEM):
		frappe.get_doc(
			{
				"doctype": "Item",
				"item_code": ITEM,
				"item_group": "Services",
				"stock_uom": "Nos",
				"is_stock_item": 0,
			}
		).insert()
	if not frappe.db.exists("Opportunity Lost Reason", LOST_REASON):
		frappe.get_doc({"doctype": "Opportunity Lost Reason", "lost_reason": LOST_REASON}).insert()


def make_lead(key: str) -> str:
	"""A Lead as the desk makes it (ERPNext creates its Contact), plus an Address linked to it."""
	name = key.replace("_", " ").title()
	lead = frappe.get_doc(
		{
			"doctype": "Lead",
			"first_name": f"{PREFIX} {name}",
			"company_name": f"PT {PREFIX} {name}",
			"email_id": f"{key}@history.example.com",
			"mobile_no": "+62 812 0000 0000",
		}
	).insert()
	make_address("Lead", lead.name, f"PT {PREFIX} {name}")
	if not linked("Lead", lead.name, "Contact"):
		make_contact("Lead", lead.name, f"{PREFIX} {name}")
	return lead.name


def make_customer(customer_name: str) -> str:
	customer = frappe.get_doc(
		{"doctype": "Customer", "customer_name": customer_name, "customer_type": "Company"}
	).insert()
	make_address("Customer", customer.name, customer_name)
	make_contact("Customer", customer.name, f"{PREFIX} Pembeli")
	return customer.name


def make_prospect(company_name: str) -> str:
	prospect = frappe.get_doc({"doctype": "Prospect", "company_name": company_name}).insert()
	make_address("Prospect", prospect.name, company_name)
	make_contact("Prospect", prospect.name, f"{PREFIX} Calon")
	return prospect.name


def make_address(link_doctype: str, link_name: str, title: str) -> str:
	return (
		frappe.get_doc(
			{
				"doctype": "Address",
				"address_title": title,
				"address_type": "Office",
				"address_line1": "Jl. Sudirman 1",
				"city": "Jakarta",
				"country": "Indonesia",
				"links": [{"link_doctype": link_doctype, "link_name": link_name}],
			}
		)
		.insert()
		.name
	)


def make_contact(link_doctype: str, link_name: str, first_name: str) -> str:
	return (
		frappe.get_doc(
			{
				"doctype": "Contact",
				"first_name": first_name,
				"links": [{"link_doctype": link_doctype, "link_name": link_name}],
			}
		)
		.insert()
		.name
	)


def make_opportunity(party_type: str, party: str, with_items: bool) -> str:
	"""Lead ▸ Create ▸ Opportunity (ERPNext's mapper) for a Lead; the Opportunity form for the others."""
	if party_type == "Lead":
		from erpnext.crm.doctype.lead.lead import make_opportunity as map_lead

		doc = map_lead(party)
	else:
		doc = frappe.get_doc({"doctype": "Opportunity", "opportunity_from": party_type, "party_name": party})
	doc.company = doc.company or frappe.defaults.get_global_default("company")
	doc.opportunity_amount = 5_000
	if with_items:
		doc.append("items", {"item_code": ITEM, "qty": 2, "rate": 2_500})
	return doc.insert().name


def quote(opportunity: str, valid_till: str | None = None) -> str:
	"""Opportunity ▸ Create ▸ Quotation (ERPNext's mapper), submitted."""
	from erpnext.crm.doctype.opportunity.opportunity import make_quotation

	quotation = make_quotation(opportunity)
	if not quotation.items:  # an Opportunity without items: the user adds the row
		quotation.append("items", {"item_code": ITEM, "qty": 1, "rate": 2_500})
	quotation.run_method("set_missing_values")
	quotation.run_method("calculate_taxes_and_totals")
	if valid_till:
		quotation.transaction_date = add_days(valid_till, -10)
		quotation.valid_till = valid_till
	quotation.insert()
	quotation.submit()
	return quotation.name


def order(quotation: str) -> str:
	"""Quotation ▸ Create ▸ Sales Order (ERPNext's mapper; for a Lead's Quotation it makes the Customer),
	submitted."""
	from erpnext.selling.doctype.quotation.quotation import make_sales_order

	sales_order = make_sales_order(quotation)
	sales_order.delivery_date = add_days(nowdate(), 14)
	sales_order.insert()
	sales_order.submit()
	return sales_order.name


def opportunity_to_customer(opportunity: str) -> str:
	"""Opportunity ▸ Create ▸ Customer (ERPNext's mapper: sets Customer.opportunity_name and lead_name)."""
	from erpnext.crm.doctype.opportunity.opportunity import make_customer as map_opportunity

	customer = map_opportunity(opportunity)
	customer.customer_group = customer.customer_group or frappe.db.get_default("Customer Group")
	customer.territory = customer.territory or frappe.db.get_default("Territory")
	return customer.insert().name


def lead_to_customer(lead: str) -> str:
	"""Lead ▸ Create ▸ Customer (ERPNext's mapper: sets Customer.lead_name)."""
	from erpnext.crm.doctype.lead.lead import make_customer as map_lead

	customer = map_lead(lead)
	customer.territory = customer.territory or frappe.db.get_default("Territory")
	return customer.insert().name


def make_replied(opportunity: str) -> None:
	"""An Opportunity ERPNext set to Replied (an e-mail answered) and nobody touched for 40 days."""
	doc = frappe.get_doc("Opportunity", opportunity)
	doc.status = "Replied"
	doc.save()
	frappe.db.set_value(
		"Opportunity",
		opportunity,
		"modified",
		# ERPNext's auto-close compares with the database's clock (SQL NOW()), not Python's
		add_to_date(frappe.db.sql("select now()")[0][0], days=-40),
		update_modified=False,
	)


def bulk_failed(quotation: str) -> str:
	"""A Quotation ▸ Sales Order of ERPNext's bulk transaction that failed today, as its job logs it."""
	from erpnext.utilities.bulk_transaction import create_log

	create_log(quotation, "Lock wait timeout exceeded", "Quotation", "Sales Order", status="Failed")
	return quotation


def make_event_today(reference_doctype: str, reference_name: str) -> None:
	frappe.get_doc(
		{
			"doctype": "Event",
			"subject": f"{PREFIX} Kunjungan",
			"event_type": "Public",
			"starts_on": now_datetime(),
			"status": "Open",
			"event_participants": [
				{"reference_doctype": reference_doctype, "reference_docname": reference_name}
			],
		}
	).insert()


def backdate(doctype: str, name: str, hours: int) -> None:
	"""Spread the history over time: the n-th record made is n hours after a year ago."""
	stamp = add_to_date(now_datetime(), days=-365, hours=hours)
	frappe.db.set_value(doctype, name, "creation", stamp, update_modified=False)


def linked(link_doctype: str, link_name: str, parenttype: str) -> list[str]:
	return frappe.get_all(
		"Dynamic Link",
		filters={"link_doctype": link_doctype, "link_name": link_name, "parenttype": parenttype},
		pluck="parent",
	)


# Checks (after install) -------------------------------------------------------------------------------


def counts() -> dict[str, int]:
	values = {
		doctype: frappe.db.count(doctype)
		for doctype in ("Lead", "Opportunity", "Customer", "Quotation", "Sales Order", "Address", "Contact")
	}
	values["Dynamic Link (Address/Contact)"] = frappe.db.count(
		"Dynamic Link", {"parenttype": ("in", ("Address", "Contact"))}
	)
	values["Dynamic Link to Opportunity"] = frappe.db.count("Dynamic Link", {"link_doctype": "Opportunity"})
	columns = {row[0] for row in frappe.db.sql("show columns from `tabOpportunity`")}
	if "lead" in columns:
		values["Opportunity with lead"] = frappe.db.count("Opportunity", {"lead": ("is", "set")})
		values["Opportunity with customer"] = frappe.db.count("Opportunity", {"customer": ("is", "set")})
	values["Customer with opportunity_name"] = frappe.db.count(
		"Customer", {"opportunity_name": ("is", "set")}
	)
	return values


def missing_party_links() -> list[list[str]]:
	"""(Opportunity, parenttype, parent) for each Address/Contact of an Opportunity's party that is not
	linked to the Opportunity."""
	return frappe.db.sql(
		"""
		select o.name, party.parenttype, party.parent
		from `tabOpportunity` o
		join `tabDynamic Link` party on party.link_doctype = o.opportunity_from
			and party.link_name = o.party_name and party.parenttype in ('Address', 'Contact')
		where not exists (
			select 1 from `tabDynamic Link` own
			where own.link_doctype = 'Opportunity' and own.link_name = o.name
				and own.parent = party.parent and own.parenttype = party.parenttype
		)
		""",
		as_list=True,
	)


def links_out_of_order() -> list[list]:
	"""Addresses/Contacts whose `links` rows do not number 1, 2, 3…"""
	return frappe.db.sql(
		"""
		select parenttype, parent, group_concat(idx order by idx)
		from `tabDynamic Link` where parenttype in ('Address', 'Contact')
		group by parenttype, parent
		having count(*) != count(distinct idx) or min(idx) != 1 or max(idx) != count(*)
		""",
		as_list=True,
	)


def links_of(opportunity: str) -> list[str]:
	return sorted(
		f"{row.parenttype} {row.parent}"
		for row in frappe.get_all(
			"Dynamic Link",
			filters={"link_doctype": "Opportunity", "link_name": opportunity},
			fields=["parenttype", "parent"],
		)
	)


def snapshot() -> dict:
	"""What the backfill writes, to compare two runs."""
	return {
		"opportunities": frappe.db.sql(
			"select name, lead, customer, modified from `tabOpportunity` order by name", as_list=True
		),
		"customers": frappe.db.sql(
			"select name, opportunity_name, modified from `tabCustomer` order by name", as_list=True
		),
		"links": frappe.db.sql(
			"select name, parent, parenttype, idx, link_doctype, link_name from `tabDynamic Link`"
			" order by name",
			as_list=True,
		),
	}


def attempt(action) -> str:
	"""Run `action`, then undo whatever it wrote; "ok" or the error it raised."""
	try:
		action()
		outcome = "ok"
	except Exception as e:
		outcome = f"{type(e).__name__}: {frappe.utils.strip_html(str(e))}"
	frappe.db.rollback()
	frappe.local.message_log = []
	return outcome


def edit(opportunity: str) -> None:
	doc = frappe.get_doc("Opportunity", opportunity)
	doc.opportunity_amount = (doc.opportunity_amount or 0) + 1_000
	doc.append("items", {"item_code": ITEM, "qty": 1, "rate": 1_000})
	doc.save()


def close(opportunity: str) -> None:
	"""The form's Close button / the list's Set Status ▸ Closed (ERPNext's set_multiple_status)."""
	from erpnext.crm.doctype.opportunity.opportunity import set_multiple_status

	set_multiple_status(json.dumps([opportunity]), "Closed")
	assert frappe.db.get_value("Opportunity", opportunity, "status") == "Closed"


def lose(opportunity: str) -> None:
	doc = frappe.get_doc("Opportunity", opportunity)
	doc.declare_enquiry_lost([{"lost_reason": LOST_REASON}], [], "Memilih pesaing")
	assert frappe.db.get_value("Opportunity", opportunity, "status") == "Lost"


def quote_now(opportunity: str) -> None:
	quotation = frappe.get_doc("Quotation", quote(opportunity))
	assert quotation.docstatus == 1


ACTIONS = {"edit": edit, "close": close, "lose": lose, "quote": quote_now}

# ERPNext's scheduled jobs (hooks.py scheduler_events) that write Opportunities, Customers, Quotations or
# Sales Orders, or read them to write something else.
SCHEDULED_JOBS = [
	"erpnext.crm.doctype.opportunity.opportunity.auto_close_opportunity",
	"erpnext.crm.utils.open_leads_opportunities_based_on_todays_event",
	"erpnext.selling.doctype.quotation.quotation.set_expired_status",
	"erpnext.controllers.accounts_controller.update_invoice_status",
	"erpnext.projects.doctype.project.project.update_project_sales_billing",
	"erpnext.setup.doctype.company.company.cache_companies_monthly_sales_history",
	"erpnext.crm.doctype.email_campaign.email_campaign.send_email_to_leads_or_contacts",
	"erpnext.crm.doctype.email_campaign.email_campaign.set_email_campaign_status",
]
# the app's own jobs, on the same history
APP_JOBS = [
	"opportunity_crm.channel.deal_expiry.expire_registrations",
	"opportunity_crm.forecasting.forecast.take_weekly_snapshot",
]
# ... and `erpnext.utilities.bulk_transaction.retry`, which enqueues `retry_failed_transactions`: `check` runs
# that one as the worker would, without going through the queue.

# The Opportunities the desk actions are tried on: the Lead's and history ones, none with an active
# Quotation (ERPNext itself refuses to declare those Lost).
ACTION_TARGETS = [
	("two_open", 0),
	("two_open", 1),
	("quoted_beats_oldest", 0),
	("ordered_beats_open", 2),
	("replied_history", 1),
]


def forecast_categories() -> dict[str, list]:
	"""Each Opportunity's stored forecast category, and the one its status, hand choice or stage gives
	(the rule in Python, `forecast_category`): the install's set-based backfill must agree with it."""
	from opportunity_crm.forecasting.forecast_category import stage_category, status_category

	return {
		row.name: [
			row.forecast_category,
			status_category(row.status, row.converted_on)
			or (
				row.forecast_category if row.forecast_category_overridden else stage_category(row.sales_stage)
			),
		]
		for row in frappe.get_all(
			"Opportunity",
			fields=[
				"name",
				"status",
				"converted_on",
				"sales_stage",
				"forecast_category",
				"forecast_category_overridden",
			],
		)
	}


def keys_missing() -> dict[str, list[str]]:
	"""Leads, Customers and Prospects of history whose name gives a matching key that the install left
	empty."""
	return {
		doctype: frappe.get_all(
			doctype, filters={field: ("is", "set"), "key_name": ("is", "not set")}, pluck="name"
		)
		for doctype, field in (
			("Lead", "company_name"),
			("Customer", "customer_name"),
			("Prospect", "company_name"),
		)
	}


def check(seeded: dict) -> dict:
	"""After install: what the backfill did, whether it is idempotent, whether ERPNext's paths go through."""
	from opportunity_crm.opportunities.history import (
		backfill_history,
		choose_lead_opportunity,
		designate_lead_opportunity,
	)

	frappe.set_user("Administrator")
	frappe.flags.mute_emails = True
	result = {
		"counts_after_install": counts(),
		"missing_party_links": missing_party_links(),
		"links_out_of_order": links_out_of_order(),
		"links": {name: links_of(name) for names in seeded["opportunities"].values() for name in names},
	}

	result["leads"] = {
		key: {
			"holder": frappe.db.get_value("Opportunity", {"lead": lead}),
			"chosen": choose_lead_opportunity(lead),
			"lead_of": {
				name: frappe.db.get_value("Opportunity", name, "lead")
				for name in seeded["opportunities"][key]
			},
		}
		for key, lead in seeded["leads"].items()
	}
	result["customer_links"] = {
		name: {
			"opportunity.customer": frappe.db.get_value("Opportunity", name, "customer"),
			"customer naming it": frappe.db.get_value("Customer", {"opportunity_name": name}),
		}
		for names in seeded["opportunities"].values()
		for name in names
	}

	# the data-health report's path for one Lead whose Opportunity lost its `lead`
	lead = seeded["leads"]["quoted_beats_oldest"]
	frappe.db.set_value("Opportunity", {"lead": lead}, "lead", None, update_modified=False)
	result["designate"] = {
		"chosen": choose_lead_opportunity(lead),
		"designated": designate_lead_opportunity(lead),
	}
	frappe.db.rollback()

	before = snapshot()
	result["second_run"] = backfill_history()
	result["second_run_changed_nothing"] = snapshot() == before

	result["actions"] = {
		name: {label: attempt(lambda a=action, n=name: a(n)) for label, action in ACTIONS.items()}
		for name in (seeded["opportunities"][key][i] for key, i in ACTION_TARGETS)
	}

	result["forecast_categories"] = forecast_categories()
	result["keys_missing"] = keys_missing()

	result["replied_before"] = frappe.get_all("Opportunity", {"status": "Replied"}, pluck="name")
	result["jobs"] = {}
	for method in [*SCHEDULED_JOBS, *APP_JOBS]:
		try:
			frappe.get_attr(method)()
			frappe.db.commit()
			result["jobs"][method] = "ok"
		except Exception:
			frappe.db.rollback()
			result["jobs"][method] = traceback.format_exc(limit=-3)
	# `retry` enqueues its work; run what the worker would, as the worker would (it commits).
	from erpnext.utilities.bulk_transaction import retry_failed_transactions

	failed = frappe.get_all(
		"Bulk Transaction Log Detail",
		filters={"transaction_status": "Failed", "retried": 0},
		fields=["name", "transaction_name", "from_doctype", "to_doctype"],
	)
	try:
		retry_failed_transactions(failed)
		frappe.db.commit()
		result["jobs"]["retry_failed_transactions"] = "ok"
	except Exception:
		frappe.db.rollback()
		result["jobs"]["retry_failed_transactions"] = traceback.format_exc(limit=-3)
	result["bulk_retried"] = {
		row.transaction_name: {
			"status": row.transaction_status,
			"error": (row.error_description or "")[-400:] if row.transaction_status != "Success" else "",
		}
		for row in frappe.get_all(
			"Bulk Transaction Log Detail",
			filters={"retried": 1},
			fields=["transaction_name", "transaction_status", "error_description"],
		)
	}
	result["statuses_after_jobs"] = {
		name: frappe.db.get_value("Opportunity", name, "status") for name in result["replied_before"]
	}
	# ERPNext's auto-close sets the status with db_set: the movement log and the category follow it
	result["after_auto_close"] = {
		name: {
			"movements": sorted(frappe.get_all("Opportunity Movement", {"opportunity": name}, pluck="kind")),
			# Omitted, or Closed when it had become a Customer: never pipeline again
			"counts_as_pipeline": frappe.db.get_value("Opportunity", name, "forecast_category")
			in ("Pipeline", "Best Case", "Commit"),
		}
		for name in result["replied_before"]
	}
	result["snapshot_rows"] = frappe.db.count("Opportunity Forecast Snapshot")
	result["expired_quotation_status"] = frappe.db.get_value(
		"Quotation", seeded["expired_quotation"], "status"
	)
	result["event_opportunity_status"] = frappe.db.get_value(
		"Opportunity", seeded["event_opportunity"], "status"
	)
	result["error_logs"] = frappe.get_all(
		"Error Log", filters={"creation": (">=", seeded["installed_at"])}, pluck="method"
	)
	result["counts_after_jobs"] = counts()
	return result


# Runner -----------------------------------------------------------------------------------------------


def main(site: str, function: str, arguments: str = "{}") -> None:
	frappe.init(site=site, sites_path=".")
	frappe.connect()
	try:
		frappe.set_user("Administrator")
		result = globals()[function](**json.loads(arguments))
		frappe.db.commit()
	finally:
		frappe.destroy()
	print(MARKER + json.dumps(result, default=str))


if __name__ == "__main__":
	main(*sys.argv[1:])
