from opportunity_crm.setup import list_view


def execute():
	list_view.ship()
