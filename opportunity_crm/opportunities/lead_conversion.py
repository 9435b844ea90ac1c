from erpnext.crm.doctype.lead.lead import make_opportunity

from opportunity_crm.base.atomic import atomic
from opportunity_crm.base.checks import require_enabled
from opportunity_crm.base.naming_lock import lock_naming_series


def convert_lead(
	lead: str, company: str | None = None, sales_partner: str | None = None, sales_person: str | None = None
) -> str:
	"""Create the Opportunity of a Lead with ERPNext's own mapper; return its name.

	The Opportunity hooks do the rest on insert: `lead` is set and checked, and every Address and Contact
	of the Lead is linked to the Opportunity too.
	"""
	with atomic():
		# Lock the Lead (and learn whether it exists and is enabled, in the same query): conversions of
		# one Lead queue up here; the Opportunity's validate then refuses all but the first, naming it.
		require_enabled("Lead", lead, "lead", for_update=True)
		# then the Opportunity's naming-series row, before the first plain read (base.naming_lock): on
		# MariaDB 11.8 a conversion that queued for it behind another one would otherwise fail with 1020
		lock_naming_series("Opportunity")

		opportunity = make_opportunity(lead)
		if company:
			opportunity.company = company
		if sales_partner:
			opportunity.sales_partner = sales_partner
		if sales_person:
			opportunity.sales_person = sales_person
		opportunity.insert()

	return opportunity.name
