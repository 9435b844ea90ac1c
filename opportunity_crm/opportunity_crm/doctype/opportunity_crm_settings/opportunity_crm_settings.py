import frappe
from frappe.model.document import Document


class OpportunityCRMSettings(Document):
	def on_update(self):
		frappe.clear_cache()  # permission conditions depend on it
