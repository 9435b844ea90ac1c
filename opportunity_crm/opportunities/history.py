"""History: a site that had ERPNext before this app. Its records are linked as the app links new ones."""

import frappe
from frappe.utils import now

from opportunity_crm.base.chunks import BACKFILL_CHUNK, add_indexes, opportunity_chunks, run_counted
from opportunity_crm.constants.opportunity_status import GIVEN_UP_STATUSES

# `install-app` and the `backfill_history` patch (on `migrate`) run the same backfill. It is set-based:
# a few statements per chunk of Opportunities, walked in `name` order (keyset pagination), one commit per
# chunk; Python holds one chunk boundary at a time, whatever the number of Opportunities. Every statement
# only fills what is empty, so a second run changes nothing.

# Look-ups the backfill and the rules make on history, indexed on ERPNext's tables. Each index starts with
# the looked-up column and has a second one: Frappe's schema sync drops a one-column index that the field
# does not declare (`search_index`), but leaves a composite one alone. They stay at uninstall, as columns do.
HISTORY_INDEXES = {
	"Opportunity": {"opportunity_crm_party": ("party_name", "opportunity_from")},
	"Customer": {
		"opportunity_crm_opportunity": ("opportunity_name", "creation"),
		"opportunity_crm_lead": ("lead_name", "creation"),
	},
	"Quotation": {"opportunity_crm_opportunity": ("opportunity", "docstatus")},
	"Quotation Item": {"opportunity_crm_prevdoc": ("prevdoc_docname", "parent")},
}

# The Lead's Opportunity among the Opportunities of a Lead that has no `lead` holder yet: the one furthest
# along — became a Customer, then has a submitted Sales Order, then a submitted Quotation, then is still
# open (not Lost or Closed), then the oldest. `{leads}` narrows the Leads (a condition on x.party_name).
# A Quotation belongs to an Opportunity through `Quotation.opportunity` (ERPNext sets it for an Opportunity
# without items) or through its rows (`Quotation Item.prevdoc_docname`, for one with items); a Sales Order
# through its rows' Quotation (`Sales Order Item.prevdoc_docname`) or `Sales Order.opportunity`. The joins
# go from the Opportunity's Quotations to their orders (`straight_join`): `Quotation.opportunity` is empty on
# most history, and its statistics would have MariaDB scan every Sales Order Item for each Opportunity.
RANKED_LEAD_OPPORTUNITIES = """
	select ranked.name, ranked.party_name,
		row_number() over (
			partition by ranked.party_name
			order by ranked.became_customer desc, ranked.ordered desc, ranked.quoted desc,
				ranked.still_open desc, ranked.creation, ranked.name
		) as pick
	from (
		select x.name, x.party_name, x.creation,
			ifnull(x.customer, '') != ''
				or exists (select 1 from `tabCustomer` c where c.opportunity_name = x.name) as became_customer,
			exists (
				select 1 from `tabSales Order` so where so.opportunity = x.name and so.docstatus = 1
			) or exists (
				select 1 from `tabQuotation` q
				straight_join `tabSales Order Item` soi on soi.prevdoc_docname = q.name
				straight_join `tabSales Order` so on so.name = soi.parent and so.docstatus = 1
				where q.opportunity = x.name
			) or exists (
				select 1 from `tabQuotation Item` qi
				straight_join `tabSales Order Item` soi on soi.prevdoc_docname = qi.parent
				straight_join `tabSales Order` so on so.name = soi.parent and so.docstatus = 1
				where qi.prevdoc_docname = x.name and qi.prevdoc_doctype = 'Opportunity'
			) as ordered,
			exists (
				select 1 from `tabQuotation` q where q.opportunity = x.name and q.docstatus = 1
			) or exists (
				select 1 from `tabQuotation Item` qi
				join `tabQuotation` q on q.name = qi.parent and q.docstatus = 1
				where qi.prevdoc_docname = x.name and qi.prevdoc_doctype = 'Opportunity'
			) as quoted,
			x.status not in ({given_up}) as still_open
		from `tabOpportunity` x
		join `tabLead` lead on lead.name = x.party_name
		left join `tabOpportunity` holder on holder.lead = x.party_name
		where x.opportunity_from = 'Lead' and ({leads})
			and ifnull(x.lead, '') = '' and holder.name is null
	) ranked
"""
RANKED_LEAD_OPPORTUNITIES = RANKED_LEAD_OPPORTUNITIES.replace(
	"{given_up}", ", ".join(f"'{status}'" for status in GIVEN_UP_STATUSES)
)

# The Leads of the Opportunities in the chunk (%(lo)s, %(hi)s].
CHUNK_LEADS = """
	select chunk.party_name from `tabOpportunity` chunk
	where chunk.name > %(lo)s and chunk.name <= %(hi)s and chunk.opportunity_from = 'Lead'
"""


def backfill_history(chunk: int = BACKFILL_CHUNK) -> dict[str, int]:
	"""Link what stock ERPNext made before the app was installed, as the app links new records; return
	how many rows each step changed.

	1. `Opportunity.customer` ↔ `Customer.opportunity_name`, where one side is set and the other is free.
	2. Each Opportunity gets the Addresses and Contacts of its party (Lead, Customer or Prospect), as a new
	   Opportunity does (`party_links.copy_links`).
	3. Each Lead gets its Opportunity (`Opportunity.lead`, unique): where a Lead already has several, the
	   one `choose_lead_opportunity` picks; the others keep `lead` empty: they are history.
	4. A Customer made from a Lead (`Customer.lead_name`) that no Opportunity claims becomes the Customer of
	   the Lead's Opportunity, when that one has no Customer yet.
	"""
	ensure_history_indexes()
	counts = dict.fromkeys(("customers", "customer_opportunities", "links", "leads", "lead_customers"), 0)
	for bounds in opportunity_chunks(chunk):
		counts["customers"] += link_customers_to_opportunities(bounds)
		counts["customer_opportunities"] += link_opportunities_to_customers(bounds)
		counts["links"] += link_party_addresses_and_contacts(bounds)
		frappe.db.commit()
	# Step 3 needs step 1 done for every Opportunity of a Lead: "became a Customer" decides first.
	for bounds in opportunity_chunks(chunk):
		counts["leads"] += set_lead_opportunities(CHUNK_LEADS, bounds)
		counts["lead_customers"] += link_lead_customers(CHUNK_LEADS, bounds)
		frappe.db.commit()
	return counts


def ensure_history_indexes() -> None:
	add_indexes(HISTORY_INDEXES)


def link_customers_to_opportunities(bounds: dict) -> int:
	"""`Opportunity.customer` from `Customer.opportunity_name` (ERPNext's Opportunity ▸ Customer sets only
	the latter): the oldest Customer that names the Opportunity and that no Opportunity claims yet."""
	return run_counted(
		"""
		update `tabOpportunity` o
		join (
			select c.name, c.opportunity_name,
				row_number() over (partition by c.opportunity_name order by c.creation, c.name) as pick
			from `tabCustomer` c
			left join `tabOpportunity` taken on taken.customer = c.name
			where c.opportunity_name > %(lo)s and c.opportunity_name <= %(hi)s and taken.name is null
		) c on c.opportunity_name = o.name and c.pick = 1
		set o.customer = c.name
		where o.name > %(lo)s and o.name <= %(hi)s and ifnull(o.customer, '') = ''
		""",
		bounds,
	)


def link_opportunities_to_customers(bounds: dict) -> int:
	"""`Customer.opportunity_name` from `Opportunity.customer`, where the Customer names none."""
	return run_counted(
		"""
		update `tabCustomer` c
		join `tabOpportunity` o on o.customer = c.name
		set c.opportunity_name = o.name
		where o.name > %(lo)s and o.name <= %(hi)s and ifnull(c.opportunity_name, '') = ''
		""",
		bounds,
	)


def link_party_addresses_and_contacts(bounds: dict) -> int:
	"""Link each Address and Contact of an Opportunity's party to the Opportunity too (a `links` row,
	after the record's existing ones), unless it is already. A row's name is derived from what it links,
	so it is unique however many rows there are."""
	return run_counted(
		"""
		insert into `tabDynamic Link` (name, creation, modified, owner, modified_by, docstatus, idx,
			parent, parentfield, parenttype, link_doctype, link_name)
		select sha1(concat_ws(char(31), pair.parenttype, pair.parent, 'Opportunity', pair.opportunity)),
			%(now)s, %(now)s, %(user)s, %(user)s, 0,
			ifnull((
				select max(existing.idx) from `tabDynamic Link` existing
				where existing.parent = pair.parent and existing.parenttype = pair.parenttype
			), 0) + row_number() over (partition by pair.parenttype, pair.parent order by pair.opportunity),
			pair.parent, 'links', pair.parenttype, 'Opportunity', pair.opportunity
		from (
			select distinct party.parenttype, party.parent, o.name as opportunity
			from `tabOpportunity` o
			join `tabDynamic Link` party on party.link_doctype = o.opportunity_from
				and party.link_name = o.party_name and party.parenttype in ('Address', 'Contact')
			where o.name > %(lo)s and o.name <= %(hi)s
				and o.opportunity_from in ('Lead', 'Customer', 'Prospect')
				and not exists (
					select 1 from `tabDynamic Link` linked
					where linked.link_doctype = 'Opportunity' and linked.link_name = o.name
						and linked.parent = party.parent and linked.parenttype = party.parenttype
				)
		) pair
		""",
		{**bounds, "now": now(), "user": frappe.session.user},
	)


def set_lead_opportunities(leads: str, values: dict) -> int:
	"""`lead` on the chosen Opportunity of each Lead (in `leads`) that has none yet."""
	ranked = RANKED_LEAD_OPPORTUNITIES.format(leads=f"x.party_name in ({leads})")
	return run_counted(
		f"""
		update `tabOpportunity` o
		join ({ranked}) chosen on chosen.name = o.name and chosen.pick = 1
		set o.lead = o.party_name
		""",
		values,
	)


def link_lead_customers(leads: str, values: dict) -> int:
	"""A Customer made from a Lead (in `leads`) that no Opportunity claims and that names no Opportunity
	becomes the Customer of the Lead's Opportunity, when that one has none and no Customer names it: both
	sides at once. With several such Customers, the oldest."""
	return run_counted(
		f"""
		update `tabOpportunity` o
		join (
			select c.name, c.lead_name,
				row_number() over (partition by c.lead_name order by c.creation, c.name) as pick
			from `tabCustomer` c
			left join `tabOpportunity` taken on taken.customer = c.name
			where c.lead_name in ({leads}) and ifnull(c.opportunity_name, '') = '' and taken.name is null
		) candidate on candidate.lead_name = o.lead and candidate.pick = 1
		join `tabCustomer` target on target.name = candidate.name
		left join `tabCustomer` claim on claim.opportunity_name = o.name
		set o.customer = target.name, target.opportunity_name = o.name
		where ifnull(o.customer, '') = '' and claim.name is null
		""",
		values,
	)


def choose_lead_opportunity(lead: str) -> str | None:
	"""The Lead's Opportunity: the one whose `lead` is the Lead; on history (none has it yet), the one the
	backfill gives it, furthest along (see RANKED_LEAD_OPPORTUNITIES). None if the Lead has no Opportunity."""
	existing = frappe.db.get_value("Opportunity", {"lead": lead})
	if existing:
		return existing
	ranked = RANKED_LEAD_OPPORTUNITIES.format(leads="x.party_name = %(lead)s")
	rows = frappe.db.sql(f"select name from ({ranked}) chosen where chosen.pick = 1", {"lead": lead})
	return rows[0][0] if rows else None


def designate_lead_opportunity(lead: str) -> str | None:
	"""Make the backfill's choice for one Lead now (it sets `lead` on `choose_lead_opportunity(lead)` and
	links the Lead's free Customer to it, as the backfill does); return the Lead's Opportunity. Does not
	commit."""
	set_lead_opportunities("%(lead)s", {"lead": lead})
	link_lead_customers("%(lead)s", {"lead": lead})
	return frappe.db.get_value("Opportunity", {"lead": lead})
