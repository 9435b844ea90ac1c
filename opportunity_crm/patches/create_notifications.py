from opportunity_crm.setup.notifications import create_notifications


def execute():
	create_notifications()
