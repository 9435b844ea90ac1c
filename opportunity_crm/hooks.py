app_name = "opportunity_crm"
app_title = "Opportunity CRM"
app_publisher = "Opportunity CRM developers"
app_description = "Opportunity pipeline rules for ERPNext"
app_email = "dev@opportunity-crm.invalid"
app_license = "gpl-3.0"
required_apps = ["frappe/erpnext"]

# Install, uninstall and tests
# ----------------------------
after_install = "opportunity_crm.setup.install.after_install"
before_uninstall = "opportunity_crm.setup.install.before_uninstall"
before_tests = "opportunity_crm.setup.install.before_tests"

# ERPNext doctypes: controllers stay ERPNext's, the rules hook in here
# ----------------------------------------------------------------------
doc_events = {
	"Lead": {
		"onload": "opportunity_crm.overrides.lead.onload",
	},
	"Opportunity": {
		"before_validate": "opportunity_crm.overrides.opportunity.before_validate",
		"validate": "opportunity_crm.overrides.opportunity.validate",
		"after_insert": "opportunity_crm.overrides.opportunity.after_insert",
		"on_trash": "opportunity_crm.overrides.opportunity.on_trash",
	},
	"Customer": {
		"validate": "opportunity_crm.overrides.customer.validate",
		"on_update": "opportunity_crm.overrides.customer.on_update",
		"on_trash": "opportunity_crm.overrides.customer.on_trash",
	},
	"Quotation": {
		"before_validate": "opportunity_crm.overrides.quotation.before_validate",
		"validate": "opportunity_crm.overrides.quotation.validate",
	},
	"Sales Stage": {
		"on_update": "opportunity_crm.crm.probability.follow_stage",
	},
	"Sales Order": {
		"before_validate": "opportunity_crm.overrides.sales_order.before_validate",
		"validate": "opportunity_crm.overrides.sales_order.validate",
		"after_insert": "opportunity_crm.overrides.sales_order.after_insert",
	},
}

# Bad input to REST writes gets a 417 naming the field, not a server error
before_request = ["opportunity_crm.overrides.request_guard.check_resource_write"]

# Row-level access (Opportunity CRM Settings)
permission_query_conditions = {
	"Opportunity": "opportunity_crm.permissions.opportunity_conditions",
	"Quotation": "opportunity_crm.permissions.quotation_conditions",
	"Sales Order": "opportunity_crm.permissions.sales_order_conditions",
}

has_permission = {
	"Opportunity": "opportunity_crm.permissions.opportunity_has_permission",
	"Quotation": "opportunity_crm.permissions.quotation_has_permission",
	"Sales Order": "opportunity_crm.permissions.sales_order_has_permission",
}

# Desk's Create ▸ … buttons check the rules before the new form opens
override_whitelisted_methods = {
	"erpnext.crm.doctype.lead.lead.make_opportunity": "opportunity_crm.overrides.mappers.make_opportunity_from_lead",
	"erpnext.crm.doctype.opportunity.opportunity.make_customer": (
		"opportunity_crm.overrides.mappers.make_customer_from_opportunity"
	),
	"erpnext.crm.doctype.opportunity.opportunity.make_quotation": (
		"opportunity_crm.overrides.mappers.make_quotation_from_opportunity"
	),
}

override_doctype_dashboards = {
	"Opportunity": "opportunity_crm.overrides.dashboards.opportunity",
	"Sales Partner": "opportunity_crm.overrides.dashboards.sales_partner",
	"Sales Person": "opportunity_crm.overrides.dashboards.sales_person",
}

doctype_js = {
	"Opportunity": "public/js/opportunity.js",
	"Lead": "public/js/lead.js",
}

doctype_list_js = {
	"Lead": "public/js/lead_list.js",
}
