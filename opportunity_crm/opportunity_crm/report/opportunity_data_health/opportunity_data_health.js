// Opportunity Data Health: each row's Action column is a button that calls the action's method in
// opportunity_crm.api with the row's record, then refreshes the report. A refusal (a rule that the
// action would break) shows the server's message.
const DATA_HEALTH_ACTIONS = {
	merge_lead_opportunity: "opportunity",
	merge_customer_opportunities: "customer",
	link_party_addresses_and_contacts: "opportunity",
};

const WRAPPED_COLUMNS = ["problem", "details", "resolution"];

frappe.query_reports["Opportunity Data Health"] = {
	filters: [
		{
			fieldname: "company",
			label: __("Company"),
			fieldtype: "Link",
			options: "Company",
			default: frappe.defaults.get_user_default("Company"),
		},
		{
			fieldname: "problem",
			label: __("Problem"),
			fieldtype: "Select",
			options: [
				"",
				"Lead with several Opportunities",
				"Opportunity without Address or Contact",
				"Customer claimed by several Opportunities",
				"Sales Order for another Customer's Opportunity",
				"Open Opportunity without a required Sales Person or Sales Partner",
			],
		},
	],

	// rows of four lines: the problem, the details and the resolution wrap instead of being cut off
	get_datatable_options(options) {
		return { ...options, cellHeight: 84 };
	},

	formatter(value, row, column, data, default_formatter) {
		if (WRAPPED_COLUMNS.includes(column.fieldname) && data) {
			return `<div class="ocrm-wrapped" title="${frappe.utils.escape_html(value || "")}"
				style="white-space: normal; line-height: 1.35">${default_formatter(value, row, column, data)}</div>`;
		}
		if (column.fieldname !== "action" || !data || !data.action_method) {
			return default_formatter(value, row, column, data);
		}
		const escape = frappe.utils.escape_html;
		return `<button class="btn btn-xs btn-default ocrm-data-health-action"
			data-method="${escape(data.action_method)}" data-argument="${escape(data.action_argument)}"
			title="${escape(data.resolution || "")}">${escape(value)}</button>`;
	},

	onload(report) {
		// the app's workspace, not the module of the report's doctype (Opportunity: CRM)
		frappe.breadcrumbs.add("Opportunity CRM");
		report.page.wrapper
			.off("click.ocrm_data_health")
			.on("click.ocrm_data_health", ".ocrm-data-health-action", (event) => {
				const button = $(event.currentTarget);
				const method = button.attr("data-method");
				const argument = DATA_HEALTH_ACTIONS[method];
				if (!argument) return;
				button.prop("disabled", true);
				frappe.call({
					method: `opportunity_crm.api.${method}`,
					args: { [argument]: button.attr("data-argument") },
					freeze: true,
					freeze_message: __("Resolving…"),
					callback(r) {
						frappe.show_alert({ message: data_health_done(r.message), indicator: "green" });
						report.refresh();
					},
					error() {
						button.prop("disabled", false);
					},
				});
			});
	},
};

function data_health_done(result) {
	if (!result) return __("Done");
	if (result.linked) {
		return __("Linked {0} Addresses and {1} Contacts to {2}", [
			result.linked.Address,
			result.linked.Contact,
			result.opportunity,
		]);
	}
	if (result.merged && result.merged.length) {
		return __("Merged {0} into {1}", [result.merged.join(", "), result.into]);
	}
	return __("{0} is now the Lead's Opportunity", [result.into]);
}
