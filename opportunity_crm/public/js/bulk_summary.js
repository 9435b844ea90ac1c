// The summary of a bulk action (Lead list ▸ Convert to Opportunity, Opportunity list ▸ Reassign Sales
// Person): one row per record with what happened to it. Shared by both list views (hooks.py lists this
// file before each of them).
frappe.provide("opportunity_crm");

opportunity_crm.show_bulk_summary = function (title, rows) {
	frappe.msgprint({
		title,
		message: `<table class="table table-bordered"><tbody>${rows
			.map((r) => `<tr><td>${r.join("</td><td>")}</td></tr>`)
			.join("")}</tbody></table>`,
		wide: true,
	});
};

// the desk's own link to a record: /app/… on Frappe v15, /desk/… on v16
opportunity_crm.form_link = (doctype, name) =>
	frappe.utils.get_form_link(doctype, name, true, frappe.utils.escape_html(name));
