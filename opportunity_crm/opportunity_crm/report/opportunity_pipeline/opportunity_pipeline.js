// the Opportunity's field of each group (a partner's kind is the Sales Partner's: the list cannot
// filter on it, so its counts open nothing)
const GROUP_FIELDS = {
	"Sales Partner": "sales_partner",
	"Sales Partner Kind": null,
	"Sales Person": "sales_person",
	"Sales Stage": "sales_stage",
	Company: "company",
};

frappe.query_reports["Opportunity Pipeline"] = {
	onload() {
		// the app's workspace, not the module of the report's doctype (Opportunity: CRM)
		frappe.breadcrumbs.add("Opportunity CRM");
	},

	filters: [
		{
			fieldname: "company",
			label: __("Company"),
			fieldtype: "Link",
			options: "Company",
			default: frappe.defaults.get_user_default("Company"),
		},
		{ fieldname: "from_date", label: __("From Date"), fieldtype: "Date" },
		{ fieldname: "to_date", label: __("To Date"), fieldtype: "Date" },
		{
			fieldname: "status",
			label: __("Status"),
			fieldtype: "Select",
			options: ["", "Open", "Quotation", "Converted", "Lost", "Replied", "Closed"],
		},
		{
			fieldname: "sales_partner",
			label: __("Sales Partner"),
			fieldtype: "Link",
			options: "Sales Partner",
		},
		{ fieldname: "sales_person", label: __("Sales Person"), fieldtype: "Link", options: "Sales Person" },
		{ fieldname: "sales_stage", label: __("Sales Stage"), fieldtype: "Link", options: "Sales Stage" },
		{
			fieldname: "group_by",
			label: __("Group By"),
			fieldtype: "Select",
			// the toolbar shows a select's chosen option, not its label: "Group by Sales Stage" says what it
			// is, where "Sales Stage" beside the Sales Stage filter looked like the same filter twice
			options: Object.keys(GROUP_FIELDS).map((group) => ({
				value: group,
				label: __("Group by {0}", [__(group)]),
			})),
			default: "Sales Stage",
			reqd: 1,
		},
	],

	// Drill-down: the count opens the Opportunity list with the report's filters and the row's group.
	formatter(value, row, column, data, default_formatter) {
		const formatted = default_formatter(value, row, column, data);
		if (column.fieldname !== "count" || !data || data.group_value === undefined) return formatted;
		const filters = frappe.query_report.get_filter_values();
		if (GROUP_FIELDS[filters.group_by] === null) return formatted;
		const route_options = {};
		for (const field of ["company", "status", "sales_partner", "sales_person", "sales_stage"]) {
			if (filters[field]) route_options[field] = filters[field];
		}
		if (data.group_value) route_options[GROUP_FIELDS[filters.group_by]] = data.group_value;
		const query = new URLSearchParams(route_options).toString();
		// the desk's own list URL: /app/opportunity on Frappe v15, /desk/opportunity on v16
		const list_url = frappe.router.make_url([frappe.router.slug("Opportunity")]);
		return `<a href="${list_url}?${query}">${formatted}</a>`;
	},
};
