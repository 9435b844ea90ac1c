from opportunity_crm.opportunities import intake


def point_at_leads_opportunity(doc, method=None):
	"""A message that ERPNext's intake attaches to a second Opportunity of a Lead goes to the Lead's own
	Opportunity (see `opportunity_crm.opportunities.intake`)."""
	if doc.reference_doctype == "Opportunity" and doc.reference_name:
		doc.reference_name = intake.redirect(doc.reference_name)
