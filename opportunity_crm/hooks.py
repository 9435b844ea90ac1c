import frappe

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
after_uninstall = "opportunity_crm.setup.install.after_uninstall"
before_tests = "opportunity_crm.setup.install.before_tests"
# no after_migrate: the Deal Registration Workflow and the roles are made at install, where missing, and a
# site's own edits to them survive every migrate (setup/workflow.py)

# Opportunity's controller: ERPNext's, with `map_fields` reading the party's cached meta and one row
# instead of a tabDocField query per empty column (overrides/opportunity_controller.py, issue 19). Frappe
# 16 composes the mixin with ERPNext's class (and with other apps' extensions); Frappe 15 only knows the
# override, which takes ERPNext's class with the mixin first (HRMS overrides Employee the same way).
if int(frappe.__version__.split(".")[0]) >= 16:
	extend_doctype_class = {
		"Opportunity": "opportunity_crm.overrides.opportunity_controller.OpportunityMapFields"
	}
else:
	override_doctype_class = {"Opportunity": "opportunity_crm.overrides.opportunity_controller.Opportunity"}

# ERPNext doctypes: the other controllers stay ERPNext's, the rules hook in here
# ----------------------------------------------------------------------------------
doc_events = {
	"Lead": {
		"onload": "opportunity_crm.overrides.lead.show_its_opportunity",
		"before_rename": "opportunity_crm.overrides.lead.refuse_merges_that_break_a_rule",
		"validate": "opportunity_crm.overrides.lead.set_matching_keys",
	},
	"Opportunity": {
		"onload": "opportunity_crm.overrides.opportunity.explain_refused_conversions",
		"before_validate": [
			"opportunity_crm.overrides.opportunity.check_field_shapes",
			"opportunity_crm.overrides.opportunity.keep_customer_read_only",
			"opportunity_crm.overrides.opportunity.keep_sales_person_in_its_team",
		],
		"validate": [
			"opportunity_crm.overrides.opportunity.keep_conversion_fields",
			"opportunity_crm.overrides.opportunity.keep_within_row_level_access",
			"opportunity_crm.overrides.opportunity.set_lead",
			"opportunity_crm.overrides.opportunity.fix_party_once_ordered",
			"opportunity_crm.overrides.opportunity.require_an_active_individual_sales_person",
			"opportunity_crm.overrides.opportunity.require_a_sales_team_split_of_100_percent",
			"opportunity_crm.overrides.opportunity.require_sales_person_and_partner_when_settings_say_so",
			"opportunity_crm.overrides.opportunity.follow_stage_probability",
			"opportunity_crm.overrides.opportunity.follow_stage_forecast_category",
			"opportunity_crm.overrides.opportunity.keep_movement_dates",
		],
		"after_insert": "opportunity_crm.overrides.opportunity.start_from_its_party",
		# on_change, not on_update: Frappe runs it after every save AND after db_set, which ERPNext uses to
		# set the status from a Quotation or Sales Order
		"on_change": [
			# first: the movement log then sees the category the status gave
			"opportunity_crm.overrides.opportunity.follow_status_forecast_category",
			"opportunity_crm.overrides.opportunity.log_pipeline_movement",
			"opportunity_crm.overrides.opportunity.keep_team_rows_modified_with_it",
		],
		"on_trash": [
			"opportunity_crm.overrides.opportunity.unlink_addresses_and_contacts",
			"opportunity_crm.overrides.opportunity.forget_its_movements",
		],
		"before_rename": "opportunity_crm.overrides.opportunity.refuse_merges_that_break_a_rule",
		"after_rename": "opportunity_crm.overrides.opportunity.complete_the_merge",
	},
	"Customer": {
		"after_mapping": "opportunity_crm.overrides.customer.fill_prospect",
		"validate": [
			"opportunity_crm.overrides.customer.keep_opportunity_read_only",
			"opportunity_crm.overrides.customer.belong_to_its_opportunity",
			"opportunity_crm.overrides.customer.set_matching_keys",
		],
		"on_update": "opportunity_crm.overrides.customer.complete_the_link",
		"on_trash": "opportunity_crm.overrides.customer.free_its_opportunity",
		"before_rename": "opportunity_crm.overrides.customer.refuse_merges_that_break_a_rule",
		"after_rename": "opportunity_crm.overrides.customer.complete_the_merge",
	},
	"Prospect": {
		"validate": "opportunity_crm.overrides.prospect.set_matching_keys",
	},
	"Quotation": {
		"before_validate": "opportunity_crm.overrides.quotation.belong_to_its_opportunity",
		"validate": "opportunity_crm.overrides.quotation.require_address_and_contact_of_its_opportunity",
	},
	"Sales Stage": {
		"on_update": [
			"opportunity_crm.forecasting.probability.follow_stage",
			"opportunity_crm.forecasting.forecast_category.follow_stage",
		],
	},
	"Sales Person": {
		"before_validate": "opportunity_crm.overrides.sales_person.hand_over_customers_of_who_leaves",
		# row-level access keeps each user's Sales Persons across requests (permissions.get_sales_persons)
		"on_update": "opportunity_crm.opportunities.permissions.forget_sales_persons",
		"on_trash": "opportunity_crm.opportunities.permissions.forget_sales_persons",
		"after_rename": "opportunity_crm.opportunities.permissions.forget_sales_persons",
	},
	"Employee": {
		"on_update": "opportunity_crm.opportunities.permissions.forget_sales_persons",
		"on_trash": "opportunity_crm.opportunities.permissions.forget_sales_persons",
		"after_rename": "opportunity_crm.opportunities.permissions.forget_sales_persons",
	},
	"Sales Order": {
		"after_mapping": "opportunity_crm.overrides.sales_order.link_the_quotations_customer",
		"before_validate": "opportunity_crm.overrides.sales_order.belong_to_its_opportunity",
		"after_insert": "opportunity_crm.overrides.sales_order.date_the_conversion",
	},
	"Communication": {
		"before_insert": "opportunity_crm.overrides.communication.point_at_leads_opportunity",
	},
	"Address": {
		"validate": "opportunity_crm.overrides.address.keep_the_last_link_of_an_opportunity",
		"on_trash": "opportunity_crm.overrides.address.refuse_deleting_the_last_of_an_opportunity",
		"before_rename": "opportunity_crm.overrides.address.refuse_merging_away_the_last_of_an_opportunity",
	},
	"Contact": {
		"validate": "opportunity_crm.overrides.contact.keep_the_last_link_of_an_opportunity",
		"on_trash": "opportunity_crm.overrides.contact.refuse_deleting_the_last_of_an_opportunity",
		"before_rename": "opportunity_crm.overrides.contact.refuse_merging_away_the_last_of_an_opportunity",
	},
}

# Bad input to REST writes of the guarded doctypes gets a 417 naming the field, not a server error. A
# request hook because Frappe fails on it before any document event runs (see the module); it returns at
# once for every other request.
before_request = ["opportunity_crm.overrides.request_guard.check_resource_write"]

# Row-level access (Opportunity CRM Settings)
permission_query_conditions = {
	"Opportunity": "opportunity_crm.opportunities.permissions.opportunity_conditions",
	"Quotation": "opportunity_crm.opportunities.permissions.quotation_conditions",
	"Sales Order": "opportunity_crm.opportunities.permissions.sales_order_conditions",
	"Customer": "opportunity_crm.opportunities.permissions.customer_conditions",
	"Opportunity Movement": "opportunity_crm.forecasting.movement.movement_conditions",
	# a partner user reads its own partner's registrations, their Items and no Match
	# (channel/partner_access.py)
	"Deal Registration": "opportunity_crm.channel.partner_access.deal_registration_conditions",
	"Deal Registration Item": "opportunity_crm.channel.partner_access.deal_registration_item_conditions",
	"Deal Registration Match": "opportunity_crm.channel.partner_access.deal_registration_match_conditions",
}

# Frappe's methods that read past the permission engine when a partner user asks (link search with
# ignore_user_permissions, validate_link): Frappe's own answer, within what the partner may read
override_whitelisted_methods = {
	"frappe.desk.search.search_link": "opportunity_crm.overrides.whitelisted_methods.search_link",
	"frappe.desk.search.search_widget": "opportunity_crm.overrides.whitelisted_methods.search_widget",
	"frappe.client.validate_link": "opportunity_crm.overrides.whitelisted_methods.validate_link",
	# a restricted salesperson's capped Opportunity count: their own first (permissions.count_own_first)
	"frappe.desk.reportview.get_count": "opportunity_crm.overrides.whitelisted_methods.get_count",
	# and their list's pages, newest first, through the indexes (opportunities.newest_page)
	"frappe.desk.reportview.get": "opportunity_crm.overrides.whitelisted_methods.get",
	# Frappe v16's link check (v15 has none of that name)
	"frappe.client.validate_link_and_fetch": (
		"opportunity_crm.overrides.whitelisted_methods.validate_link_and_fetch"
	),
	# Employee ▸ status Left disables the Sales Person past its events; through its document instead
	"erpnext.setup.doctype.employee.employee.deactivate_sales_person": (
		"opportunity_crm.overrides.sales_person.deactivate_sales_person"
	),
}

has_permission = {
	"Deal Registration": "opportunity_crm.channel.deal_registration.has_permission",
	"Opportunity": "opportunity_crm.opportunities.permissions.opportunity_has_permission",
	"Quotation": "opportunity_crm.opportunities.permissions.quotation_has_permission",
	"Sales Order": "opportunity_crm.opportunities.permissions.sales_order_has_permission",
	"Customer": "opportunity_crm.opportunities.permissions.customer_has_permission",
	"Opportunity Movement": "opportunity_crm.forecasting.movement.movement_has_permission",
}

override_doctype_dashboards = {
	"Opportunity": "opportunity_crm.overrides.dashboards.opportunity",
	"Sales Partner": "opportunity_crm.overrides.dashboards.sales_partner",
	"Lead": "opportunity_crm.overrides.dashboards.lead",
	"Sales Person": "opportunity_crm.overrides.dashboards.sales_person",
}

doctype_js = {
	"Opportunity": "public/js/opportunity.js",
	"Lead": "public/js/lead.js",
	"Sales Partner": "public/js/sales_partner.js",
}

# Partner portal (opportunity_crm/www/partner/): in the portal's sidebar for partner users (not
# `standard_portal_menu_items`: Portal Settings drops a synced item that names no reference doctype)
portal_menu_items = [
	{"title": "Partner Portal", "route": "/partner", "role": "Partner User"},
]

# The partner channel's e-mails are Notification records the app makes at install (setup/notifications.py);
# their templates render in the partner user's language through this Jinja method
jinja = {"methods": ["opportunity_crm.setup.notifications.partner_language"]}

# bulk_summary.js, the summary dialog both bulk actions share, comes first
doctype_list_js = {
	"Lead": ["public/js/bulk_summary.js", "public/js/lead_list.js"],
	"Opportunity": [
		"public/js/bulk_summary.js",
		"public/js/opportunity_list.js",
		"public/js/row_level_note.js",
	],
	# a restricted salesperson's lists say they hold his deals only (permissions.add_to_boot)
	"Customer": "public/js/row_level_note.js",
	"Quotation": "public/js/row_level_note.js",
	"Sales Order": "public/js/row_level_note.js",
}

extend_bootinfo = "opportunity_crm.opportunities.permissions.add_to_boot"

scheduler_events = {
	"daily": ["opportunity_crm.channel.deal_expiry.expire_registrations"],
	"weekly": ["opportunity_crm.forecasting.forecast.take_weekly_snapshot"],
}
