// Lead list ▸ Actions ▸ Convert to Opportunity: a background job with a progress bar and a summary.
(() => {
	const settings = (frappe.listview_settings["Lead"] = frappe.listview_settings["Lead"] || {});
	const erpnext_onload = settings.onload;

	settings.onload = function (listview) {
		if (erpnext_onload) erpnext_onload(listview);
		if (!frappe.model.can_create("Opportunity")) return;

		listview.page.add_actions_menu_item(__("Convert to Opportunity"), () => {
			const leads = listview.get_checked_items(true);
			if (!leads.length) return;
			frappe.realtime.off("opportunity_crm_bulk_conversion");
			frappe.realtime.on("opportunity_crm_bulk_conversion", (summary) => {
				frappe.realtime.off("opportunity_crm_bulk_conversion");
				show_conversion_summary(summary);
				listview.refresh();
			});
			frappe.call({
				method: "opportunity_crm.api.bulk_convert_leads",
				args: { leads },
				freeze: false,
				callback: () =>
					frappe.show_alert({
						message: __("Converting {0} Leads in the background", [leads.length]),
						indicator: "blue",
					}),
			});
		});
	};

	function show_conversion_summary(summary) {
		const link = opportunity_crm.form_link;
		opportunity_crm.show_bulk_summary(
			__("Converted {0}, skipped {1}, failed {2}", [
				summary.converted.length,
				summary.skipped.length,
				summary.failed.length,
			]),
			[
				...summary.converted.map((r) => [
					link("Lead", r.lead),
					__("Converted"),
					link("Opportunity", r.opportunity),
				]),
				...summary.skipped.map((r) => [
					link("Lead", r.lead),
					__("Skipped"),
					__("Already has {0}", [link("Opportunity", r.opportunity)]),
				]),
				...summary.failed.map((r) => [
					link("Lead", r.lead),
					__("Failed"),
					frappe.utils.escape_html(r.reason),
				]),
			]
		);
	}
})();
