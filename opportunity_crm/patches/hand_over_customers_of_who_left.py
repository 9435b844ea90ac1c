from opportunity_crm.opportunities.people_who_leave import hand_over_customers_of_disabled


def execute():
	"""Customers whose team names a Sales Person disabled before the app handed shares over (ERPNext's
	Employee ▸ Left disables without events): their teams follow the people still there."""
	hand_over_customers_of_disabled()
