"""Sales Order events, each handler named for the rule it applies; the rules live in
`opportunity_crm.opportunities.order_rules`."""

from opportunity_crm.channel.deal_expiry import convert_registrations
from opportunity_crm.opportunities import order_rules
from opportunity_crm.opportunities.customer_conversion import mark_converted


def link_the_quotations_customer(doc, method=None, source_doc=None):
	order_rules.link_the_quotations_customer(doc, source_doc)


def belong_to_its_opportunity(doc, method=None):
	order_rules.fill_and_check(doc)


def date_the_conversion(doc, method=None):
	if doc.opportunity:
		mark_converted(doc.opportunity)
		convert_registrations(doc.opportunity)  # a partner's approved registration of it is Converted
