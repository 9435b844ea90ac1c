"""The partner portal's data and actions (pages under /partner, `opportunity_crm/www/partner/`).

A partner sees their own Deal Registrations, the Opportunities whose Sales Partner they are, and the
Quotations and Sales Orders of those Opportunities; never another partner's record and never an internal
field (Sales Person, Lead, margins, the conflict keys and matches). Two kinds of reads:

- Deal Registrations are read with the user's own permissions (`frappe.get_list` as the session user):
  Frappe's engine (role permissions, the User Permission on Sales Partner, the app's condition in
  `channel/partner_access.py`) decides, so the portal lists exactly what `/api/resource/Deal Registration`
  lists to the same user.
- ERPNext's Opportunity, Quotation and Sales Order: the role Partner User has no permission on them, and
  is given none, since a role permission would open every field of ERPNext's forms over REST (customer
  details, the Sales Team, internal notes) where the portal shows a handful. As ERPNext's own portals do
  (`erpnext.controllers.website_list_for_contact.get_transaction_list`), the portal reads them without
  role permissions, through one partner filter (`partner_filters`) and the field lists below; Frappe's
  API answers the same user 403 for them.

Commission, in the company's currency, with the Sales Partner's `commission_rate`:
- forecast = sum of `base_weighted_amount` of the partner's open deals * rate / 100, where a deal is open
  while its Opportunity is not in `CLOSED_STATUSES`, not converted (`converted_on`: it became a Customer
  or got a Sales Order) and has no submitted Sales Order (made directly or from its Quotation: either way
  the app sets the order's `opportunity`);
- earned = per submitted Sales Order of the partner's Opportunities, ERPNext's `total_commission` when
  the order names the partner as its Sales Partner (ERPNext computed it, on the amount eligible for
  commission, with the rate on the order), else `base_net_total` * rate / 100.
A deal is counted in one of the two at most: an ordered one is earned, never forecast.
"""

import math
from urllib.parse import urlencode

import frappe
from frappe import _
from frappe.query_builder.functions import Count, Sum
from frappe.utils import cstr, flt, fmt_money, formatdate, getdate
from pypika.terms import ExistsCriterion

from opportunity_crm.base.document_writes import set_on_document
from opportunity_crm.channel.deal_registration import submit
from opportunity_crm.channel.partner_users import partner_of
from opportunity_crm.constants.opportunity_status import CLOSED_STATUSES
from opportunity_crm.exceptions import InvalidArgumentError

# what a partner may see of each record
REGISTRATION_FIELDS = (
	"name",
	"prospect_name",
	"status",
	"expected_amount",
	"currency",
	"expected_closing",
	"protected_until",
	"decision_reason",
	"opportunity",
	"creation",
)
OPPORTUNITY_FIELDS = (
	"name",
	"customer_name",
	"party_name",
	"status",
	"sales_stage",
	"opportunity_amount",
	"currency",
	"expected_closing",
	"partner_next_step",
	"partner_notes",
)
ORDER_FIELDS = ("name", "transaction_date", "status", "grand_total", "currency", "opportunity")

# what a partner may register (Deal Registration fields; the rest is the company's)
REGISTRATION_INPUT = (
	"prospect_name",
	"tax_id",
	"website",
	"contact_name",
	"contact_email",
	"contact_phone",
	"address_line1",
	"city",
	"country",
	"expected_amount",
	"currency",
	"expected_closing",
	"notes",
)
REGISTRATION_ITEM_INPUT = ("item_code", "qty", "description")


def require_partner() -> str:
	"""The session user's Sales Partner; 403 for anyone who is not a partner user."""
	partner = partner_of(frappe.session.user)
	if not partner:
		frappe.throw(_("Only partner users may use the partner portal."), frappe.PermissionError)
	return partner


# reading -------------------------------------------------------------------------------------------------


def partner_filters(doctype: str, partner: str) -> dict:
	"""The one filter that makes an Opportunity, Quotation or Sales Order the partner's (read without role
	permissions, see the module): an Opportunity whose Sales Partner they are, a Quotation or Sales Order
	(not cancelled) of one of those Opportunities."""
	if doctype == "Opportunity":
		return {"sales_partner": partner}
	names = frappe.get_all(
		"Opportunity", filters={"sales_partner": partner}, pluck="name", ignore_permissions=True
	)
	return {"opportunity": ("in", names or [""]), "docstatus": ("<", 2)}


def registrations(partner: str) -> list[dict]:
	"""The session user's registrations, read with their own permissions (Frappe's engine decides; the
	`sales_partner` filter only keeps a staff user who opens the portal to one partner)."""
	return frappe.get_list(
		"Deal Registration",
		filters={"sales_partner": partner},
		fields=list(REGISTRATION_FIELDS),
		order_by="creation desc",
	)


def opportunities(partner: str) -> list[dict]:
	return frappe.get_all(
		"Opportunity",
		filters=partner_filters("Opportunity", partner),
		fields=list(OPPORTUNITY_FIELDS),
		order_by="modified desc",
		ignore_permissions=True,
	)


def orders(partner: str) -> dict[str, list[dict]]:
	"""{"quotations": [...], "sales_orders": [...]}: not cancelled, of the partner's Opportunities."""
	return {
		key: frappe.get_all(
			doctype,
			filters=partner_filters(doctype, partner),
			fields=list(ORDER_FIELDS),
			order_by="transaction_date desc, name desc",
			ignore_permissions=True,
		)
		for key, doctype in (("quotations", "Quotation"), ("sales_orders", "Sales Order"))
	}


def open_deals(partner: str):
	"""The partner's open deals (see the module): a query of Opportunity for `commission` to complete."""
	opportunity = frappe.qb.DocType("Opportunity")
	sales_order = frappe.qb.DocType("Sales Order")
	ordered = (
		frappe.qb.from_(sales_order)
		.select(sales_order.name)
		.where((sales_order.opportunity == opportunity.name) & (sales_order.docstatus == 1))
	)
	return frappe.qb.from_(opportunity).where(
		(opportunity.sales_partner == partner)
		& opportunity.status.notin(CLOSED_STATUSES)
		& opportunity.converted_on.isnull()
		& ExistsCriterion(ordered).negate()
	)


def commission(partner: str) -> list[dict]:
	"""Per company (each in its currency): {company, currency, rate, weighted, forecast, earned}."""
	rate = flt(frappe.db.get_value("Sales Partner", partner, "commission_rate"))
	opportunity = frappe.qb.DocType("Opportunity")
	weighted = dict(
		open_deals(partner)
		.select(opportunity.company, Sum(opportunity.base_weighted_amount))
		.groupby(opportunity.company)
		.run()
	)
	earned = dict(
		frappe.db.sql(
			"""
			select so.company, sum(
				case when so.sales_partner = %(partner)s and so.total_commission > 0 then so.total_commission
				else so.base_net_total * %(rate)s / 100 end)
			from `tabSales Order` so
			join `tabOpportunity` o on o.name = so.opportunity
			where o.sales_partner = %(partner)s and so.docstatus = 1
			group by so.company
			""",
			{"partner": partner, "rate": rate},
		)
	)
	rows = []
	for company in sorted(set(weighted) | set(earned)):
		rows.append(
			{
				"company": company,
				"currency": frappe.get_cached_value("Company", company, "default_currency"),
				"rate": rate,
				"weighted": flt(weighted.get(company)),
				"forecast": flt(weighted.get(company)) * rate / 100,
				"earned": flt(earned.get(company)),
			}
		)
	return rows


def dashboard(partner: str) -> dict:
	by_status = {}
	for row in registrations(partner):
		by_status[row.status] = by_status.get(row.status, 0) + 1
	own = opportunities(partner)
	placed = orders(partner)
	return {
		"registrations": by_status,
		"open_opportunities": open_deals(partner).select(Count("*")).run()[0][0],
		"opportunities": len(own),
		"quotations": len(placed["quotations"]),
		"sales_orders": len(placed["sales_orders"]),
		"commission": commission(partner),
	}


# acting ------------------------------------------------------------------------------------------------


def update_opportunity(
	name: str, next_step: str | None = None, expected_closing: str | None = None, notes: str | None = None
) -> dict:
	"""What the partner knows about one of their Opportunities: the next step, the expected closing date
	and notes. Nothing else of the Opportunity changes; another partner's is 403."""
	partner = require_partner()
	if not name or frappe.db.get_value("Opportunity", name, "sales_partner") != partner:
		frappe.throw(_("Opportunity {0} is not one of yours.").format(cstr(name)), frappe.PermissionError)
	values = {"partner_next_step": cstr(next_step).strip(), "partner_notes": cstr(notes).strip()}
	if expected_closing:
		try:
			values["expected_closing"] = getdate(expected_closing)
		except (ValueError, TypeError, frappe.ValidationError):
			frappe.clear_last_message()
			frappe.throw(
				_("expected_closing: {0} is not a date (YYYY-MM-DD).").format(cstr(expected_closing)[:40]),
				InvalidArgumentError,
			)
	else:
		values["expected_closing"] = None
	doc = frappe.get_doc("Opportunity", name)
	changed = {field: value for field, value in values.items() if cstr(doc.get(field)) != cstr(value)}
	if changed:
		# db_set, not save: the partner's three fields change, whatever else the rules would ask of the
		# whole record on save; Frappe still runs on_change (the pipeline movement log sees the date), and a
		# Version records it
		set_on_document(doc, changed)
		doc.add_comment(
			"Info",
			_("{0} (Sales Partner {1}) updated: {2}").format(
				frappe.utils.escape_html(frappe.utils.get_fullname(frappe.session.user)),
				frappe.utils.escape_html(partner),
				", ".join(_(doc.meta.get_label(field)) for field in changed),
			),
		)
	return {field: doc.get(field) for field in OPPORTUNITY_FIELDS}


def register_deal(values: dict) -> dict:
	"""A Deal Registration of the session user's partner, submitted through its Workflow (the conflict
	check refuses a duplicate with the reason, and nothing is saved). Returns {"name", "status"}."""
	partner = require_partner()
	if not isinstance(values, dict):
		frappe.throw(_("registration must be an object of fields."), InvalidArgumentError)
	unknown = [key for key in values if key not in (*REGISTRATION_INPUT, "items")]
	if unknown:
		frappe.throw(
			_("registration: unknown field {0}. It takes {1}.").format(
				", ".join(repr(key)[:40] for key in unknown), ", ".join((*REGISTRATION_INPUT, "items"))
			),
			InvalidArgumentError,
		)
	doc = frappe.new_doc("Deal Registration")
	doc.update(typed(doc.meta, values, REGISTRATION_INPUT, "registration"))
	items = values.get("items") or []
	if not isinstance(items, list):
		frappe.throw(_("items must be a list of rows."), InvalidArgumentError)
	item_meta = frappe.get_meta("Deal Registration Item")
	for row in items:
		if not isinstance(row, dict) or not row.get("item_code"):
			frappe.throw(_("items: each row needs an item_code."), InvalidArgumentError)
		doc.append("items", typed(item_meta, row, REGISTRATION_ITEM_INPUT, "items"))
	doc.sales_partner = partner
	doc.partner_user = frappe.session.user
	doc.insert()
	# the Workflow's "Submit", with the conflict check (helper module of Deal Registration)
	return {"name": doc.name, "status": submit(doc.name)["status"]}


def typed(meta, values: dict, fieldnames: tuple, argument: str) -> dict:
	"""The given `fieldnames` of `values`, each as its field's type: numbers as numbers, dates as dates,
	text as text (a form posts strings); a value of the wrong kind is refused naming the field."""
	result = {}
	for fieldname in fieldnames:
		value = values.get(fieldname)
		if value in (None, ""):
			continue
		fieldtype = meta.get_field(fieldname).fieldtype
		try:
			if fieldtype in ("Currency", "Float", "Int", "Percent"):
				if isinstance(value, bool) or not isinstance(value, int | float | str):
					raise ValueError
				value = float(value)
				if not math.isfinite(value):
					raise ValueError
			elif fieldtype == "Date":
				value = getdate(value)
			elif not isinstance(value, str):
				raise ValueError
		except (ValueError, TypeError, frappe.ValidationError):
			frappe.clear_last_message()
			frappe.throw(
				_("{0}.{1}: {2} is not a valid {3}.").format(
					argument, fieldname, cstr(value)[:40], _(fieldtype)
				),
				InvalidArgumentError,
			)
		result[fieldname] = value
	return result


# pages ---------------------------------------------------------------------------------------------------

PAGES = (
	("/partner", "Overview"),
	("/partner/registrations", "Deal Registrations"),
	("/partner/opportunities", "Opportunities"),
	("/partner/orders", "Quotations and Sales Orders"),
)


def page_context(context, route: str) -> str:
	"""The context every portal page starts from; returns the partner. A Guest goes to the login page
	(and comes back), a logged-in user who is no partner user gets 403."""
	if frappe.session.user == "Guest":
		frappe.local.flags.redirect_location = "/login?" + urlencode({"redirect-to": route})
		raise frappe.Redirect
	partner = require_partner()
	context.no_cache = 1
	context.show_sidebar = True
	context.partner = partner
	context.route_now = route
	context.partner_pages = [{"route": r, "title": _(title)} for r, title in PAGES]
	context.title = _(dict(PAGES)[route])
	if route != "/partner":
		context.parents = [{"route": "/partner", "title": _("Partner Portal")}]
	return partner


def money(value, currency: str | None) -> str:
	return fmt_money(flt(value), currency=currency)


def date(value) -> str:
	return formatdate(value) if value else ""
