import frappe

from opportunity_crm.channel.deal_keys import set_keys_from_sources
from opportunity_crm.opportunities import merges


def show_its_opportunity(doc, method=None):
	"""The form learns the Lead's Opportunity (a Lead has at most one)."""
	opportunity = frappe.db.get_value("Opportunity", {"lead": doc.name})
	if opportunity:
		doc.set_onload("opportunity", opportunity)


def refuse_merges_that_break_a_rule(doc, method=None, old=None, new=None, merge=False):
	merges.check_lead_merge(doc, old, new, merge)


def set_matching_keys(doc, method=None):
	"""The keys Deal Registrations are matched on, from the company name, e-mail, website and phone."""
	set_keys_from_sources(doc)
