// Lead form: once the Lead has its Opportunity, Create ▸ Opportunity gives way to a link to it.
frappe.ui.form.on("Lead", {
	refresh(frm) {
		const opportunity = frm.doc.__onload && frm.doc.__onload.opportunity;
		if (!opportunity) return;
		frm.remove_custom_button(__("Opportunity"), __("Create"));
		frm.add_custom_button(__("Opportunity {0}", [opportunity]), () =>
			frappe.set_route("Form", "Opportunity", opportunity)
		);
	},
});
