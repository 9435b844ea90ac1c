// A salesperson limited by row-level access (Opportunity CRM Settings) sees only his deals, and only the
// Customers, Quotations and Sales Orders of them: the list says so above its rows. Loaded with each of
// those doctypes' list scripts, after ERPNext's own, whose onload it keeps.
(() => {
	for (const doctype of ["Opportunity", "Customer", "Quotation", "Sales Order"]) {
		const settings = frappe.listview_settings[doctype];
		// the doctype whose scripts load now (or one loaded before, already wrapped)
		if (!settings || settings.opportunity_crm_row_level_note) continue;
		settings.opportunity_crm_row_level_note = true;
		const onload = settings.onload;
		settings.onload = function (listview) {
			if (onload) onload(listview);
			const people = frappe.boot.opportunity_crm_own_deals;
			if (!people || !people.length) return;
			const message =
				doctype === "Opportunity"
					? __("Filtered to your deals: where {0} is the Sales Person or in the Sales Team (row-level access).", [
							people.map((name) => frappe.utils.escape_html(name)).join(", "),
					  ])
					: __("Filtered to your deals: the {0} of the Opportunities where {1} is the Sales Person or in the Sales Team (row-level access).", [
							__(doctype),
							people.map((name) => frappe.utils.escape_html(name)).join(", "),
					  ]);
			listview.page.add_inner_message(message).addClass("ocrm-row-level-note");
		};
	}
})();
