from opportunity_crm.setup import role_permissions


def execute():
	# a rule of its own: grant_role_permissions ran once, and a rule a site took away since stays away
	role_permissions.grant(("Sales Stage",))
