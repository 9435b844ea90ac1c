from frappe.model.document import Document


class DealRegistrationMatch(Document):
	pass
