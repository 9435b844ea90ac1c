"""Opportunity Data Health: the records of a site's history that break a rule, and what resolves each.

A live site installs the app on years of history that stock ERPNext wrote without these rules. That
history is reported, not blocked: the report *Opportunity Data Health* lists one row per problem, with
the resolution, and an action where the fix is mechanical (the actions below, called through
`opportunity_crm.api`). Every action goes through the rules: Frappe's Rename ▸ Merge with the app's
rename hooks, and the app's own linking of Addresses and Contacts.

One set-based query per problem, capped at `ROW_LIMIT` rows (resolving rows lets the next ones in); the
user's permissions apply: role permissions per doctype, User Permissions and the app's row-level access
(`get_match_cond`).
"""

import frappe
from frappe import _

from opportunity_crm.base.atomic import atomic
from opportunity_crm.constants.opportunity_status import CLOSED_STATUSES
from opportunity_crm.exceptions import InvalidArgumentError
from opportunity_crm.opportunities import history
from opportunity_crm.opportunities.party_links import LINKED_DOCTYPES, copy_links, count_linked_records
from opportunity_crm.opportunities.permissions import match_condition
from opportunity_crm.opportunities.sales_team import required_fields

LEAD_OPPORTUNITIES = "Lead with several Opportunities"
MISSING_ADDRESS_OR_CONTACT = "Opportunity without Address or Contact"
CUSTOMER_CLAIMED = "Customer claimed by several Opportunities"
ORDER_FOR_OTHER_CUSTOMER = "Sales Order for another Customer's Opportunity"
MISSING_OWNER = "Open Opportunity without a required Sales Person or Sales Partner"
PROBLEMS = (
	LEAD_OPPORTUNITIES,
	MISSING_ADDRESS_OR_CONTACT,
	CUSTOMER_CLAIMED,
	ORDER_FOR_OTHER_CUSTOMER,
	MISSING_OWNER,
)

# Action keys, each a method of opportunity_crm.api
MERGE_LEAD_OPPORTUNITY = "merge_lead_opportunity"
MERGE_CUSTOMER_OPPORTUNITIES = "merge_customer_opportunities"
LINK_PARTY_ADDRESSES_AND_CONTACTS = "link_party_addresses_and_contacts"

ROW_LIMIT = 500

# Separators of the lists that group_concat returns (no record name holds these control characters)
RECORD, UNIT = "\x1e", "\x1f"

# The bit of each linked doctype in the link probes of problem b
LINK_BITS = {"Address": 1, "Contact": 2}


def claim_label(claim: str) -> str:
	"""How an Opportunity claims a Customer (problem c)."""
	return {
		"customer": _("its Customer (field Customer)"),
		"opportunity_name": _("the Customer's Opportunity (field Opportunity of the Customer)"),
		"lead": _("a Converted Opportunity of the Customer's Lead"),
	}[claim]


def get_problems(company: str | None = None, problem: str | None = None, limit: int = ROW_LIMIT):
	"""(rows, truncated): the report's rows, at most `limit` of each problem, and the problems that had
	more."""
	if problem and problem not in PROBLEMS:
		frappe.throw(
			_("Problem must be one of: {0}").format(", ".join(_(p) for p in PROBLEMS)), InvalidArgumentError
		)
	queries = {
		LEAD_OPPORTUNITIES: lead_opportunity_problems,
		MISSING_ADDRESS_OR_CONTACT: address_and_contact_problems,
		CUSTOMER_CLAIMED: customer_claim_problems,
		ORDER_FOR_OTHER_CUSTOMER: sales_order_problems,
		MISSING_OWNER: missing_owner_problems,
	}
	rows, truncated = [], []
	for name in [problem] if problem else PROBLEMS:
		found, more = queries[name](company, limit)
		if more:
			truncated.append(name)
		rows.extend(found)
	return rows, truncated


def row(problem: str, doctype: str, name: str, **values) -> frappe._dict:
	return frappe._dict(
		{
			"problem": _(problem),
			"problem_key": problem,
			"record_doctype": doctype,
			"record": name,
			"status": None,
			"company": None,
			"related": "",
			"details": "",
			"resolution": "",
			"action": "",
			"action_method": "",
			"action_argument": "",
			**values,
		}
	)


def related(*records: tuple[str, str]) -> str:
	return ", ".join(f"{_(doctype)} {name}" for doctype, name in records if name)


def condition(doctype: str) -> str:
	"""The user's row-level conditions on `doctype` (its table unaliased in the query), as `and (…)` on
	both Frappe versions (`permissions.match_condition`)."""
	return match_condition(doctype)


def can_read(*doctypes: str) -> bool:
	return all(frappe.has_permission(doctype, "read") for doctype in doctypes)


# a. A Lead with several Opportunities ----------------------------------------------------------------


def lead_opportunity_problems(company: str | None, limit: int) -> tuple[list[frappe._dict], bool]:
	"""One row per Opportunity of a Lead that is not the Lead's Opportunity (`lead` empty), when the Lead
	has its Opportunity or several such Opportunities.

	One pass over Opportunities from a Lead: the Lead's own Opportunity is found through the unique
	index on `lead`; the window counts the Lead's other Opportunities among the few left over."""
	if not can_read("Opportunity"):
		return [], False
	values = {"company": company, "limit": limit + 1}
	found = frappe.db.sql(
		f"""
		select `name`, `party_name`, `status`, `company`, `main`, `main_company` from (
			select `tabOpportunity`.`name`, `tabOpportunity`.`party_name`, `tabOpportunity`.`status`,
				`tabOpportunity`.`company`, `tabOpportunity`.`creation`,
				`main`.`name` as `main`, `main`.`company` as `main_company`,
				count(*) over (partition by `tabOpportunity`.`party_name`) as `unlinked`
			from `tabOpportunity`
			left join `tabOpportunity` `main` on `main`.`lead` = `tabOpportunity`.`party_name`
			where `tabOpportunity`.`opportunity_from` = 'Lead'
				and `tabOpportunity`.`party_name` > ''
				and (`tabOpportunity`.`lead` is null or `tabOpportunity`.`lead` != `tabOpportunity`.`party_name`)
				{"and `tabOpportunity`.`company` = %(company)s" if company else ""}
				{condition("Opportunity")}
		) `history`
		where `main` is not null or `unlinked` > 1
		order by `party_name` desc, `creation`, `name`
		limit %(limit)s
		""",
		values,
		as_dict=True,
	)
	designated = designated_opportunities(sorted({r.party_name for r in found if not r.main}))

	rows = []
	for r in found:
		main = r.main or designated.get(r.party_name)
		if main == r.name:
			continue  # the one that becomes the Lead's Opportunity
		if r.main:
			details = _("Lead {0} has Opportunity {1} (field Lead); this one is history.").format(
				r.party_name, r.main
			)
			resolution = _("Merge it into Opportunity {0}, the Lead's Opportunity.").format(r.main)
		else:
			details = _("None of the Opportunities of Lead {0} is the Lead's (field Lead).").format(
				r.party_name
			)
			resolution = _(
				"Make Opportunity {0} the Lead's Opportunity (the one the install chooses), then merge this one into it."
			).format(main)
		todo = action(_("Merge into {0}").format(main), MERGE_LEAD_OPPORTUNITY, r.name)
		if not main:
			resolution = _(
				"Lead {0} does not exist, so none of its Opportunities can become the Lead's: set them Lost or Closed."
			).format(r.party_name)
			todo = {}
		elif r.main and r.main_company != r.company:
			resolution = _(
				"Opportunity {0}, the Lead's Opportunity, is of Company {1}: only Opportunities of one Company merge; set this one Lost or Closed instead."
			).format(r.main, r.main_company)
			todo = {}
		rows.append(
			row(
				LEAD_OPPORTUNITIES,
				"Opportunity",
				r.name,
				status=_(r.status),
				company=r.company,
				related=related(("Lead", r.party_name), ("Opportunity", main)),
				details=details,
				resolution=resolution,
				**todo,
			)
		)
	return rows[:limit], len(found) > limit


def designated_opportunities(leads: list[str]) -> dict[str, str]:
	"""{lead: the Opportunity the install makes the Lead's} for Leads none of whose Opportunities is the
	Lead's yet: install's own ranking, for all of them in one query."""
	if not leads:
		return {}
	ranked = history.RANKED_LEAD_OPPORTUNITIES.format(leads="x.party_name in %(leads)s")
	return dict(
		frappe.db.sql(
			f"select `party_name`, `name` from ({ranked}) `chosen` where `chosen`.`pick` = 1",
			{"leads": leads},
		)
	)


def action(label: str, method: str, argument: str) -> dict:
	return {"action": label, "action_method": method, "action_argument": argument}


# b. An Opportunity without an Address or a Contact ---------------------------------------------------


def address_and_contact_problems(company: str | None, limit: int) -> tuple[list[frappe._dict], bool]:
	"""Opportunities that lack a linked Address or a linked Contact of their own, whatever their status
	(a column, to filter on), newest first.

	One probe of Dynamic Link's (link_doctype, link_name) index per Opportunity gives both answers (a bit
	each), walking the primary key until `limit` are found; the party's links are probed for those rows
	only. Two NOT EXISTS would let MariaDB turn them into materialised semi-joins over every link."""
	if not can_read("Opportunity"):
		return [], False

	def linked(doctype_sql: str, name_sql: str) -> str:
		"""1: an Address, 2: a Contact, 3: both, NULL: none."""
		return f"""(select max(`dl`.`parenttype` = 'Address') + 2 * max(`dl`.`parenttype` = 'Contact')
			from `tabDynamic Link` `dl`
			where `dl`.`link_doctype` = {doctype_sql} and `dl`.`link_name` = {name_sql})"""

	found = frappe.db.sql(
		f"""
		select `missing`.*, {linked("`missing`.`opportunity_from`", "`missing`.`party_name`")} as `party`
		from (
			select `tabOpportunity`.`name`, `tabOpportunity`.`status`, `tabOpportunity`.`company`,
				`tabOpportunity`.`opportunity_from`, `tabOpportunity`.`party_name`,
				{linked("'Opportunity'", "`tabOpportunity`.`name`")} as `own`
			from `tabOpportunity`
			where 1=1 {"and `tabOpportunity`.`company` = %(company)s" if company else ""}
				{condition("Opportunity")}
			having ifnull(`own`, 0) < 3
			order by `tabOpportunity`.`name` desc
			limit %(limit)s
		) `missing`
		order by `missing`.`name` desc
		""",
		{"company": company, "limit": limit + 1},
		as_dict=True,
	)

	rows = []
	for r in found:
		missing = [doctype for doctype, bit in LINK_BITS.items() if not (r.own or 0) & bit]
		from_party = [doctype for doctype in missing if r.party_name and (r.party or 0) & LINK_BITS[doctype]]
		if r.party_name:
			details = _("It has no linked {0}; its party {1} {2} has {3}.").format(
				_(" and no ").join(_(d) for d in missing),
				_(r.opportunity_from),
				r.party_name,
				", ".join(_(d) for d in from_party) if from_party else _("none of them"),
			)
		else:
			details = _("It has no linked {0}, and no party.").format(
				_(" and no ").join(_(d) for d in missing)
			)
		resolution = [
			_("Link the Addresses and Contacts of {0} {1} to it.").format(_(r.opportunity_from), r.party_name)
			if doctype in from_party
			else _("{0}: add one on the Opportunity (Contacts tab ▸ New {0}).").format(_(doctype))
			for doctype in missing
		]
		rows.append(
			row(
				MISSING_ADDRESS_OR_CONTACT,
				"Opportunity",
				r.name,
				status=_(r.status),
				company=r.company,
				related=related((r.opportunity_from, r.party_name)),
				details=details,
				resolution=" ".join(dict.fromkeys(resolution)),
				**(
					action(
						_("Link the party's Addresses and Contacts"),
						LINK_PARTY_ADDRESSES_AND_CONTACTS,
						r.name,
					)
					if from_party
					else {}
				),
			)
		)
	return rows[:limit], len(found) > limit


# c. A Customer claimed by several Opportunities ------------------------------------------------------


def customer_claims_sql(company: str | None, customer: bool = False) -> str:
	"""(customer, opportunity, claim) of every claim an Opportunity makes on a Customer: its `customer`,
	the Customer's `opportunity_name`, or a Converted Opportunity of the Customer's Lead."""
	company_sql = "and `tabOpportunity`.`company` = %(company)s" if company else ""
	one_customer = "= %(customer)s" if customer else "> ''"
	match = condition("Opportunity")
	return f"""
		select `tabOpportunity`.`customer` as `customer`, `tabOpportunity`.`name` as `opportunity`,
			'customer' as `claim`
		from `tabOpportunity`
		where `tabOpportunity`.`customer` {one_customer} {company_sql} {match}
		union all
		select `tabCustomer`.`name`, `tabOpportunity`.`name`, 'opportunity_name'
		from `tabCustomer`
		join `tabOpportunity` on `tabOpportunity`.`name` = `tabCustomer`.`opportunity_name`
		where `tabCustomer`.`opportunity_name` > '' and `tabCustomer`.`name` {one_customer}
			{company_sql} {match}
		union all
		select `tabCustomer`.`name`, `tabOpportunity`.`name`, 'lead'
		from `tabOpportunity`
		join `tabCustomer` on `tabCustomer`.`lead_name` = `tabOpportunity`.`party_name`
		where `tabOpportunity`.`opportunity_from` = 'Lead' and `tabOpportunity`.`status` = 'Converted'
			and `tabCustomer`.`lead_name` > '' and `tabCustomer`.`name` {one_customer}
			{company_sql} {match}
	"""


def get_customer_claims(customer: str) -> dict[str, set[str]]:
	"""{opportunity: {claim, …}} of one Customer."""
	claims = {}
	for opportunity, claim in frappe.db.sql(
		f"select `opportunity`, `claim` from ({customer_claims_sql(None, customer=True)}) `claims`",
		{"customer": customer},
	):
		claims.setdefault(opportunity, set()).add(claim)
	return claims


def customer_claim_problems(company: str | None, limit: int) -> tuple[list[frappe._dict], bool]:
	if not can_read("Opportunity", "Customer"):
		return [], False
	# Grouped first, so that only the Customers claimed several times are looked up.
	found = frappe.db.sql(
		f"""
		select `claimed`.*, `tabCustomer`.`opportunity_name`, `tabCustomer`.`disabled`
		from (
			select `claims`.`customer`,
				group_concat(distinct concat(`claims`.`opportunity`, '{UNIT}', `claims`.`claim`)
					order by `claims`.`opportunity` separator '{RECORD}') as `claims`
			from ({customer_claims_sql(company)}) `claims`
			group by `claims`.`customer`
			having count(distinct `claims`.`opportunity`) > 1
		) `claimed`
		join `tabCustomer` on `tabCustomer`.`name` = `claimed`.`customer`
		where 1=1 {condition("Customer")}
		order by `claimed`.`customer`
		limit %(limit)s
		""",
		{"company": company, "limit": limit + 1},
		as_dict=True,
	)

	claims_of = {}
	for r in found:
		claims_of[r.customer] = {}
		for pair in r.claims.split(RECORD):
			opportunity, claim = pair.split(UNIT)
			claims_of[r.customer].setdefault(opportunity, []).append(claim)
	claimants = sorted({opportunity for claims in claims_of.values() for opportunity in claims})
	company_of = (
		dict(frappe.get_all("Opportunity", {"name": ("in", claimants)}, ["name", "company"], as_list=True))
		if claimants
		else {}
	)

	rows = []
	for r in found:
		claims = claims_of[r.customer]
		kept = kept_opportunity(r.opportunity_name, claims)
		details = "; ".join(
			_("{0} claims it as {1}").format(
				opportunity, _(" and as ").join(claim_label(c) for c in sorted(kinds))
			)
			for opportunity, kinds in claims.items()
		)
		others = [opportunity for opportunity in claims if opportunity != kept]
		if kept:
			resolution = _("Keep Opportunity {0}, the Customer's; merge {1} into it.").format(
				kept, ", ".join(others)
			)
			todo = action(_("Merge into {0}").format(kept), MERGE_CUSTOMER_OPPORTUNITIES, r.customer)
		else:
			resolution = _(
				"Choose the Opportunity the Customer came from, set it as the Customer's Opportunity (field Opportunity), and merge the others into it."
			)
			todo = {}
		rows.append(
			row(
				CUSTOMER_CLAIMED,
				"Customer",
				r.customer,
				status=_("Disabled") if r.disabled else _("Enabled"),
				company=", ".join(sorted({company_of.get(o) for o in claims} - {None})),
				related=related(*(("Opportunity", opportunity) for opportunity in claims)),
				details=details,
				resolution=resolution,
				**todo,
			)
		)
	return rows[:limit], len(found) > limit


def kept_opportunity(opportunity_name: str | None, claims: dict) -> str | None:
	"""The claim that stays: the Customer's own Opportunity (`Customer.opportunity_name`), else the one
	whose `customer` it is (the other side of the same link)."""
	if opportunity_name in claims:
		return opportunity_name
	linked = [opportunity for opportunity, kinds in claims.items() if "customer" in kinds]
	return linked[0] if linked else None


# d. A Sales Order whose Opportunity belongs to another Customer --------------------------------------


def sales_order_problems(company: str | None, limit: int) -> tuple[list[frappe._dict], bool]:
	"""Sales Orders (not cancelled) whose Opportunity (their own field, or their Quotations': the
	Quotation's field, or its rows' `prevdoc_docname` as stock ERPNext maps an Opportunity with items) is
	for another Customer: the one it became, or its party when it is for a Customer."""
	if not can_read("Sales Order", "Opportunity"):
		return [], False
	company_sql = "and `tabSales Order`.`company` = %(company)s" if company else ""
	match = condition("Sales Order")
	# each branch keeps only the mismatches: (order, its Opportunity, the Quotation it came through)
	mismatch = f"""join `tabOpportunity` `opp` on `opp`.`name` = {{opportunity}}
		where `tabSales Order`.`docstatus` < 2
			and coalesce(`opp`.`customer`, if(`opp`.`opportunity_from` = 'Customer', `opp`.`party_name`, null))
				!= `tabSales Order`.`customer`
			{company_sql} {match}"""
	# Orders through their Quotations: only those without `opportunity` (history: the app fills it from the
	# Quotation, and refuses one that differs), found through its index
	without_opportunity = "(`tabSales Order`.`opportunity` is null or `tabSales Order`.`opportunity` = '')"
	found = frappe.db.sql(
		f"""
		select `orders`.`sales_order`, `orders`.`opportunity`,
			group_concat(distinct `orders`.`quotation` order by `orders`.`quotation` separator '{RECORD}')
				as `quotations`,
			`tabSales Order`.`customer`, `tabSales Order`.`company`, `tabSales Order`.`status`,
			coalesce(`opp`.`customer`, if(`opp`.`opportunity_from` = 'Customer', `opp`.`party_name`, null))
				as `opportunity_customer`
		from (
			select `tabSales Order`.`name` as `sales_order`, `opp`.`name` as `opportunity`, null as `quotation`
			from `tabSales Order`
			{mismatch.format(opportunity="`tabSales Order`.`opportunity`")}
			union all
			select `tabSales Order`.`name`, `opp`.`name`, `tabQuotation`.`name`
			from `tabSales Order`
			join `tabSales Order Item` `item` on `item`.`parent` = `tabSales Order`.`name`
				and `item`.`parenttype` = 'Sales Order'
			join `tabQuotation` on `tabQuotation`.`name` = `item`.`prevdoc_docname`
			{mismatch.format(opportunity="`tabQuotation`.`opportunity`")} and {without_opportunity}
			union all
			select `tabSales Order`.`name`, `opp`.`name`, `quoted`.`parent`
			from `tabSales Order`
			join `tabSales Order Item` `item` on `item`.`parent` = `tabSales Order`.`name`
				and `item`.`parenttype` = 'Sales Order'
			join `tabQuotation Item` `quoted` on `quoted`.`parent` = `item`.`prevdoc_docname`
				and `quoted`.`parenttype` = 'Quotation' and `quoted`.`prevdoc_doctype` = 'Opportunity'
			{mismatch.format(opportunity="`quoted`.`prevdoc_docname`")} and {without_opportunity}
		) `orders`
		join `tabSales Order` on `tabSales Order`.`name` = `orders`.`sales_order`
		join `tabOpportunity` `opp` on `opp`.`name` = `orders`.`opportunity`
		group by `orders`.`sales_order`, `orders`.`opportunity`
		order by `orders`.`sales_order` desc, `orders`.`opportunity`
		limit %(limit)s
		""",
		{"company": company, "limit": limit + 1},
		as_dict=True,
	)
	rows = []
	for r in found:
		quotations = r.quotations.split(RECORD) if r.quotations else []
		rows.append(
			row(
				ORDER_FOR_OTHER_CUSTOMER,
				"Sales Order",
				r.sales_order,
				status=_(r.status),
				company=r.company,
				related=related(
					("Opportunity", r.opportunity),
					("Customer", r.opportunity_customer),
					*(("Quotation", quotation) for quotation in quotations),
				),
				details=_("It is for Customer {0}; its Opportunity {1} is for Customer {2}{3}.").format(
					r.customer,
					r.opportunity,
					r.opportunity_customer,
					_(" (through Quotation {0})").format(", ".join(quotations)) if quotations else "",
				),
				resolution=_(
					"Amend it for Customer {0} (cancel, amend), or take it out of Opportunity {1}: an order of Customer {2} belongs to an Opportunity of Customer {2}."
				).format(r.opportunity_customer, r.opportunity, r.customer),
			)
		)
	return rows[:limit], len(found) > limit


# e. An open Opportunity without the Sales Person / Sales Partner the settings require -------------------


def missing_owner_problems(company: str | None, limit: int) -> tuple[list[frappe._dict], bool]:
	"""Open Opportunities (not Lost, Closed or Converted) that lack a Sales Person while Opportunity CRM
	Settings ▸ Require Sales Person is on, or a Sales Partner while Require Sales Partner is on: history,
	which the setting lists and does not block (`sales_team.require_sales_person_and_partner`). Nothing
	while both settings are off. Newest first, walking the primary key."""
	required = dict(required_fields())
	if not required or not can_read("Opportunity"):
		return [], False
	lacking = " or ".join(f"ifnull(`tabOpportunity`.`{fieldname}`, '') = ''" for fieldname in required)
	found = frappe.db.sql(
		f"""
		select `tabOpportunity`.`name`, `tabOpportunity`.`status`, `tabOpportunity`.`company`,
			`tabOpportunity`.`sales_person`, `tabOpportunity`.`sales_partner`,
			`tabOpportunity`.`opportunity_from`, `tabOpportunity`.`party_name`
		from `tabOpportunity`
		where `tabOpportunity`.`status` not in %(closed)s and ({lacking})
			{"and `tabOpportunity`.`company` = %(company)s" if company else ""}
			{condition("Opportunity")}
		order by `tabOpportunity`.`name` desc
		limit %(limit)s
		""",
		{"company": company, "limit": limit + 1, "closed": CLOSED_STATUSES},
		as_dict=True,
	)
	rows = []
	for r in found:
		missing = [_(label) for fieldname, label in required.items() if not r.get(fieldname)]
		rows.append(
			row(
				MISSING_OWNER,
				"Opportunity",
				r.name,
				status=_(r.status),
				company=r.company,
				related=related((r.opportunity_from, r.party_name)),
				details=_(
					"It has no {0}, which Opportunity CRM Settings require on every open Opportunity."
				).format(_(" and no ").join(missing)),
				resolution=_(
					"Set its {0} on the Opportunity (for a Sales Person, also Opportunity list ▸ Actions ▸ Reassign Sales Person), or close it or set it Lost."
				).format(_(" and its ").join(missing)),
			)
		)
	return rows[:limit], len(found) > limit


# Actions ---------------------------------------------------------------------------------------------


def merge_lead_opportunity(opportunity: str) -> dict:
	"""Merge an Opportunity of a Lead into the Lead's Opportunity (Rename ▸ Merge, through the app's
	rename hooks). When none of the Lead's Opportunities is the Lead's yet, the one the install chooses
	becomes it first. Returns {"merged": [names], "into": name, "designated": name or None}."""
	values = frappe.db.get_value(
		"Opportunity", opportunity, ["opportunity_from", "party_name", "lead"], as_dict=True
	)
	if not values or values.opportunity_from != "Lead" or not values.party_name:
		frappe.throw(
			_(
				"Opportunity {0} is not from a Lead (field Opportunity From): there is nothing to merge."
			).format(frappe.bold(opportunity)),
			InvalidArgumentError,
		)
	lead = values.party_name
	with atomic():
		main = frappe.db.get_value("Opportunity", {"lead": lead}, "name", for_update=True)
		designated = None
		if not main:
			chosen = history.choose_lead_opportunity(lead)
			if not chosen:
				frappe.throw(
					_(
						"Lead {0} does not exist, so none of its Opportunities can become the Lead's (field Lead)."
					).format(frappe.bold(lead)),
					InvalidArgumentError,
				)
			require_merge_permission(chosen, "write")
			main = designated = history.designate_lead_opportunity(lead)
		if main == opportunity:
			return {"merged": [], "into": main, "designated": designated}
		merge(opportunity, main)
	return {"merged": [opportunity], "into": main, "designated": designated}


def merge_customer_opportunities(customer: str) -> dict:
	"""Merge every Opportunity that claims a Customer into the one it keeps (the Customer's Opportunity).
	All or none. Returns {"merged": [names], "into": name}."""
	claims = get_customer_claims(customer)
	kept = kept_opportunity(frappe.db.get_value("Customer", customer, "opportunity_name"), claims)
	if not kept:
		frappe.throw(
			_(
				"Customer {0} has no Opportunity of its own (field Opportunity): choose the one it came from first."
			).format(frappe.bold(customer)),
			InvalidArgumentError,
		)
	others = sorted(opportunity for opportunity in claims if opportunity != kept)
	with atomic():
		for other in others:
			merge(other, kept)
	return {"merged": others, "into": kept}


def merge(opportunity: str, into: str) -> None:
	"""Frappe's Rename ▸ Merge as the user (write on both, delete on the merged one), so that the app's
	rename hooks keep the rules or refuse with the rule's message."""
	require_merge_permission(opportunity, "write", "delete")
	require_merge_permission(into, "write")
	# No search rebuild: the merged record leaves the index as it is deleted, the kept one is unchanged.
	frappe.rename_doc("Opportunity", opportunity, into, merge=True, show_alert=False, rebuild_search=False)


def require_merge_permission(opportunity: str, *ptypes: str) -> None:
	for ptype in ptypes:
		frappe.has_permission("Opportunity", ptype, opportunity, throw=True)


def link_party_addresses_and_contacts(opportunity: str) -> dict:
	"""Link every Address and Contact of the Opportunity's party (Lead, Customer, Prospect) to it.
	Returns {"opportunity": name, "party": [doctype, name], "linked": {"Address": n, "Contact": m}}."""
	values = frappe.db.get_value("Opportunity", opportunity, ["opportunity_from", "party_name"], as_dict=True)
	party = (values.opportunity_from, values.party_name) if values else (None, None)
	if not all(party) or not any(count_linked_records(*party).values()):
		frappe.throw(
			_(
				"The party of Opportunity {0} has no Address or Contact to link: add them on the Opportunity (Contacts tab)."
			).format(frappe.bold(opportunity)),
			InvalidArgumentError,
		)
	with atomic():
		before = count_linked_records("Opportunity", opportunity)
		copy_links(*party, "Opportunity", opportunity)
		after = count_linked_records("Opportunity", opportunity)
	return {
		"opportunity": opportunity,
		"party": list(party),
		"linked": {doctype: after[doctype] - before[doctype] for doctype in LINKED_DOCTYPES},
	}
