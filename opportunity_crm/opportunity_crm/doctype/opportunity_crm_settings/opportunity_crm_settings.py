import frappe
from frappe import _
from frappe.model.document import Document
from frappe.utils import cint

from opportunity_crm.channel.deal_expiry import DEFAULT_DAYS


class OpportunityCRMSettings(Document):
	def validate(self):
		self.validate_registration_days()

	def validate_registration_days(self):
		"""An empty protection window is the default one (a site that upgrades has none stored); the notice
		comes within the window."""
		if cint(self.registration_protection_days) < 1:
			self.registration_protection_days = DEFAULT_DAYS["registration_protection_days"]
		if cint(self.registration_expiry_notice_days) >= cint(self.registration_protection_days):
			frappe.throw(
				_("{0} must be fewer than {1}.").format(
					_("Expiry Notice (Days Before)"), _("Protection (Days)")
				),
				frappe.ValidationError,
				title=_("Deal Registration"),
			)

	def on_update(self):
		frappe.clear_cache()  # permission conditions depend on it
