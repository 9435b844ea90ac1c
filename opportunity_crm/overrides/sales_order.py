"""Sales Order events, each handler named for the rule it applies; the rules live in
`opportunity_crm.crm.order_rules`."""

from opportunity_crm.crm import order_rules
from opportunity_crm.crm.customer_conversion import mark_converted


def link_the_quotations_customer(doc, method=None, source_doc=None):
	order_rules.link_the_quotations_customer(doc, source_doc)


def belong_to_its_opportunity(doc, method=None):
	order_rules.fill_and_check(doc)


def date_the_conversion(doc, method=None):
	if doc.opportunity:
		mark_converted(doc.opportunity)
