"""Fields opportunity_crm adds to ERPNext doctypes.

Plain data, applied by `opportunity_crm.setup.install.create_custom_fields` at install and by the patch
in patches.txt (bump its counter whenever this file changes), deleted at uninstall.
"""

# The normalised keys a Deal Registration is matched on (opportunity_crm.channel.deal_keys), on Lead, Customer
# and Prospect: set on every save, indexed, never typed.
DEAL_KEY_FIELDS = [
	{
		"fieldname": fieldname,
		"label": label,
		"fieldtype": "Data",
		"insert_after": insert_after,
		"read_only": 1,
		"hidden": 1,
		"no_copy": 1,
		"search_index": 1,
	}
	for fieldname, label, insert_after in (
		("key_tax_id", "Matching Key: Tax ID", "website"),
		("key_domain", "Matching Key: Domain", "key_tax_id"),
		("key_phone", "Matching Key: Phone", "key_domain"),
		("key_name", "Matching Key: Company Name", "key_phone"),
	)
]

CUSTOM_FIELDS = {
	"Opportunity": [
		{
			"fieldname": "lead",
			"label": "Lead",
			"fieldtype": "Link",
			"options": "Lead",
			"insert_after": "party_name",
			"read_only": 1,
			"hidden": 1,  # the form shows it already as "Opportunity From: Lead" and the party field
			"unique": 1,
			"no_copy": 1,
			"description": "The Lead this Opportunity comes from. A Lead has at most one Opportunity.",
		},
		{
			"fieldname": "customer",
			"label": "Customer",
			"fieldtype": "Link",
			"options": "Customer",
			"insert_after": "lead",
			"read_only": 1,
			"unique": 1,
			"no_copy": 1,
			"description": "The Customer this Opportunity became (Create ▸ Customer).",
		},
		{
			"fieldname": "weighted_amount",
			"label": "Weighted Amount",
			"fieldtype": "Currency",
			"options": "currency",
			"insert_after": "base_opportunity_amount",
			"read_only": 1,
			"no_copy": 1,
			"in_list_view": 1,
			"description": "Opportunity Amount × Probability / 100, in the Opportunity's currency.",
		},
		{
			"fieldname": "base_weighted_amount",
			"label": "Weighted Amount (Company Currency)",
			"fieldtype": "Currency",
			"options": "Company:company:default_currency",
			"insert_after": "weighted_amount",
			"read_only": 1,
			"no_copy": 1,
			"print_hide": 1,
			"description": "Opportunity Amount (Company Currency) × Probability / 100. Pipeline totals add this.",
		},
		{
			"fieldname": "probability_overridden",
			"label": "Probability Typed by Hand",
			"fieldtype": "Check",
			"insert_after": "probability",
			"read_only": 1,
			"hidden": 1,
			"no_copy": 1,
		},
		{
			"fieldname": "forecast_category",
			"label": "Forecast Category",
			"fieldtype": "Select",
			"options": "Pipeline\nBest Case\nCommit\nClosed\nOmitted",
			"insert_after": "probability_overridden",
			"in_standard_filter": 1,
			"no_copy": 1,
			"description": "Follows the Sales Stage unless chosen by hand. Lost and Closed Opportunities are "
			"Omitted, converted ones (a Customer or a Sales Order) Closed.",
		},
		{
			"fieldname": "forecast_category_overridden",
			"label": "Forecast Category Chosen by Hand",
			"fieldtype": "Check",
			"insert_after": "forecast_category",
			"read_only": 1,
			"hidden": 1,
			"no_copy": 1,
		},
		{
			"fieldname": "converted_on",
			"label": "Converted On",
			"fieldtype": "Date",
			"insert_after": "customer",
			"read_only": 1,
			"no_copy": 1,
			"description": "When it became a Customer or got its first Sales Order.",
		},
		{
			"fieldname": "sales_partner",
			"label": "Sales Partner",
			"fieldtype": "Link",
			"options": "Sales Partner",
			"insert_after": "opportunity_owner",
			"in_standard_filter": 1,
			"in_list_view": 1,
			"search_index": 0,  # indexed with `modified` (setup/install.py ACCESS_INDEXES), not alone
		},
		{
			"fieldname": "sales_person",
			"label": "Sales Person",
			"fieldtype": "Link",
			"options": "Sales Person",
			"insert_after": "sales_partner",
			"in_standard_filter": 1,
			"in_list_view": 1,
			"search_index": 0,  # indexed with `modified` (setup/install.py ACCESS_INDEXES), not alone
			"description": "An enabled Sales Person that is not a group.",
		},
		{
			"fieldname": "sales_team",
			"label": "Sales Team",
			"fieldtype": "Table",
			"options": "Sales Team",
			"insert_after": "sales_person",
			# Frappe's mapper copies a same-named table (Opportunity ▸ Customer) with its overlay rows, which
			# fail the Customer's 100 %: the conversion copies the revenue rows itself (opportunities/sales_team.py)
			"no_copy": 1,
			"description": "Split credit: revenue rows add up to 100 %; overlay rows do not count toward it. "
			"The Sales Person is one of the revenue rows. Goes to the Customer and the Sales Order.",
		},
		{
			# the movement log's dates of the deal (`forecasting/movement.py`), kept in the transaction of its
			# movement rows, so that the Pipeline Movement report reads each open deal's row alone
			"fieldname": "last_moved_on",
			"label": "Last Movement On",
			"fieldtype": "Datetime",
			"insert_after": "converted_on",
			"read_only": 1,
			"hidden": 1,
			"no_copy": 1,
			"print_hide": 1,
			"description": "When the pipeline movement log last recorded a change of this Opportunity.",
		},
		{
			"fieldname": "stage_moved_on",
			"label": "In Current Stage Since",
			"fieldtype": "Datetime",
			"insert_after": "last_moved_on",
			"read_only": 1,
			"hidden": 1,
			"no_copy": 1,
			"print_hide": 1,
			"description": "When the pipeline movement log last recorded its creation or a change of its Sales "
			"Stage.",
		},
		# what the Sales Partner knows: the only fields a partner user may change (partner portal); in a
		# collapsed section of their own at the end of the Details tab (two text areas in the Sales Person's
		# column dominated it), shown when the deal has a partner
		{
			"fieldname": "partner_section",
			"label": "From the Sales Partner",
			"fieldtype": "Section Break",
			"insert_after": "forecast_category_overridden",
			"collapsible": 1,
			"depends_on": "eval:doc.sales_partner",
		},
		{
			"fieldname": "partner_next_step",
			"label": "Partner's Next Step",
			"fieldtype": "Small Text",
			"insert_after": "partner_section",
			"description": "Set by the Sales Partner in the partner portal.",
		},
		{
			"fieldname": "partner_column",
			"fieldtype": "Column Break",
			"insert_after": "partner_next_step",
		},
		{
			"fieldname": "partner_notes",
			"label": "Partner's Notes",
			"fieldtype": "Text",
			"insert_after": "partner_column",
			"description": "Set by the Sales Partner in the partner portal.",
		},
	],
	"Sales Team": [
		{
			"fieldname": "overlay",
			"label": "Overlay Credit",
			"fieldtype": "Check",
			"insert_after": "allocated_percentage",
			# only an Opportunity's team has overlay rows: a Customer's or an order's team is ERPNext's,
			# whose rows all count toward its 100 %
			"depends_on": 'eval:doc.parenttype == "Opportunity"',
			"description": "Counts for credit (for example a specialist) but not toward the 100 % of the "
			"revenue rows. Stays on the Opportunity: not copied to the Customer or the Sales Order.",
		},
	],
	"Sales Stage": [
		{
			"fieldname": "probability",
			"label": "Probability (%)",
			"fieldtype": "Percent",
			"insert_after": "stage_name",
			"in_list_view": 1,
			"description": "Opportunities at this stage take this probability unless one was typed for them.",
		},
		{
			"fieldname": "forecast_category",
			"label": "Forecast Category",
			"fieldtype": "Select",
			"options": "Pipeline\nBest Case\nCommit\nClosed\nOmitted",
			"insert_after": "probability",
			"in_list_view": 1,
			"description": "Opportunities at this stage take this forecast category unless one was chosen for them.",
		},
	],
	"Sales Order": [
		{
			"fieldname": "opportunity",
			"label": "Opportunity",
			"fieldtype": "Link",
			"options": "Opportunity",
			# in the More Info tab; ERPNext v16 has no `campaign` (now `utm_campaign`) to place it after
			"insert_after": "inter_company_order_reference",
			"search_index": 1,
			"in_standard_filter": 1,
		},
	],
	"Lead": DEAL_KEY_FIELDS,
	"Customer": DEAL_KEY_FIELDS,
	"Prospect": DEAL_KEY_FIELDS,
	"Sales Partner": [
		{
			"fieldname": "partner_kind",
			"label": "Partner Kind",
			"fieldtype": "Select",
			"options": "Company\nIndividual",
			"default": "Company",
			"reqd": 1,
			"insert_after": "partner_name",
			"in_standard_filter": 1,
			"description": "An individual, or a company (B2B).",
		},
	],
}

# The probability of a new Opportunity comes from its Sales Stage: ERPNext's default of 100 would look
# like a value typed by hand.
PROPERTY_SETTERS = [
	{
		"doctype": "Opportunity",
		"fieldname": "probability",
		"property": "default",
		"value": "",
		"property_type": "Data",
	},
	# a Version for every change of an Opportunity, the app's conversions and merges included
	# (`base/document_writes.py`), as ERPNext keeps for Customers and Sales Orders
	{
		"doctype": "Opportunity",
		"fieldname": None,
		"property": "track_changes",
		"value": "1",
		"property_type": "Check",
		"for_doctype": True,
	},
]

# Sales Stages ERPNext creates in its setup wizard, with a probability for each (set only where a site has
# none yet).
DEFAULT_STAGE_PROBABILITIES = {
	"Prospecting": 10,
	"Qualification": 20,
	"Needs Analysis": 30,
	"Value Proposition": 40,
	"Identifying Decision Makers": 50,
	"Perception Analysis": 60,
	"Proposal/Price Quote": 70,
	"Negotiation/Review": 80,
}

# The forecast category of those stages (set only where a site has none yet): early stages are Pipeline,
# a quoted deal is Best Case, one in negotiation Commit.
DEFAULT_STAGE_FORECAST_CATEGORIES = {
	"Prospecting": "Pipeline",
	"Qualification": "Pipeline",
	"Needs Analysis": "Pipeline",
	"Value Proposition": "Pipeline",
	"Identifying Decision Makers": "Pipeline",
	"Perception Analysis": "Pipeline",
	"Proposal/Price Quote": "Best Case",
	"Negotiation/Review": "Commit",
}
