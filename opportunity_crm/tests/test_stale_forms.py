import json

import frappe
from erpnext.crm.doctype.lead.lead import make_opportunity
from frappe.desk.form.load import getdoc
from frappe.desk.form.save import savedocs
from frappe.tests.utils import FrappeTestCase

from opportunity_crm import api
from opportunity_crm.opportunities.party_links import add_links
from opportunity_crm.tests.factories import (
	convert,
	linked_parents,
	make_address,
	make_lead,
	make_user,
	row_counts,
)


def open_form(doctype: str, name: str) -> dict:
	"""What a desk form holds after opening the record: the document as `getdoc` sent it."""
	frappe.local.response = frappe._dict({"docs": []})
	getdoc(doctype, name)
	return json.loads(frappe.as_json(frappe.response.docs[-1].as_dict()))


def realtime_events() -> list:
	return list(getattr(frappe.local, "_realtime_log", []))


class TestAFormOpenedBeforeALinkWasAddedCannotDropIt(FrappeTestCase):
	def test_saving_a_stale_address_form_after_a_conversion_is_refused(self):
		lead = make_lead()
		address = only(linked_parents("Lead", lead, "Address"))
		form = open_form("Address", address)
		form["address_line2"] = "Lantai 2"

		opportunity = convert(lead)

		for save in (
			lambda: frappe.client.save(json.dumps(form)),  # REST / frappe.client
			lambda: savedocs(json.dumps(form), "Save"),  # the desk form's Save
			lambda: frappe.get_doc(form).save(),  # a Document kept in memory
		):
			with self.assertRaises(frappe.TimestampMismatchError):
				save()
		self.assertEqual(linked_parents("Opportunity", opportunity, "Address"), {address})

	def test_saving_a_stale_contact_form_after_a_customer_conversion_is_refused(self):
		opportunity = convert(make_lead())
		contact = only(linked_parents("Opportunity", opportunity, "Contact"))
		stale = frappe.get_doc("Contact", contact)

		customer = api.create_customer(opportunity)["customer"]

		stale.first_name = "Siti Lama"
		with self.assertRaises(frappe.TimestampMismatchError):
			stale.save()
		self.assertEqual(linked_parents("Customer", customer, "Contact"), {contact})

	def test_a_fresh_form_saves_and_keeps_the_new_link(self):
		lead = make_lead()
		opportunity = convert(lead)
		address = only(linked_parents("Opportunity", opportunity, "Address"))
		form = open_form("Address", address)
		form["address_line2"] = "Lantai 2"

		frappe.client.save(json.dumps(form))

		self.assertEqual(linked_parents("Opportunity", opportunity, "Address"), {address})
		self.assertEqual(linked_parents("Lead", lead, "Address"), {address})

	def test_only_the_records_that_got_a_link_are_touched(self):
		opportunity = convert(make_lead())
		linked = only(linked_parents("Opportunity", opportunity, "Address"))
		other = make_address()
		before = dict(
			frappe.get_all("Address", {"name": ("in", [linked, other])}, ["name", "modified"], as_list=True)
		)
		frappe.local._realtime_log = []

		add_links([("Address", linked), ("Address", other)], "Opportunity", opportunity)

		after = {
			row.name: row
			for row in frappe.get_all(
				"Address", {"name": ("in", [linked, other])}, ["name", "modified", "modified_by"]
			)
		}
		self.assertEqual(after[linked].modified, before[linked])
		self.assertGreater(after[other].modified, before[other])
		self.assertEqual(after[other].modified_by, frappe.session.user)
		self.assertEqual(linked_parents("Opportunity", opportunity, "Address"), {linked, other})
		# what Document.notify_update publishes, once the transaction commits
		events = [(event, message.get("name")) for event, message, _room in realtime_events()]
		self.assertEqual(events, [("doc_update", other), ("list_update", other)])
		doc_update = realtime_events()[0][1]
		self.assertEqual(str(after[other].modified), str(frappe.utils.get_datetime(doc_update["modified"])))

	def test_a_conversion_announces_each_record_it_linked(self):
		lead = make_lead(addresses=2, contacts=1)
		frappe.local._realtime_log = []

		opportunity = convert(lead)

		updated = {
			message["name"]
			for event, message, _room in realtime_events()
			if event == "doc_update" and message["doctype"] in ("Address", "Contact")
		}
		self.assertEqual(
			updated,
			linked_parents("Opportunity", opportunity, "Address")
			| linked_parents("Opportunity", opportunity, "Contact"),
		)


class TestLinkingNeedsWritePermission(FrappeTestCase):
	def setUp(self):
		# Sales Manager alone may convert Leads, but edits only the Addresses and Contacts it created.
		self.user = make_user("Sales Manager")

	def tearDown(self):
		frappe.set_user("Administrator")

	def test_converting_a_lead_whose_address_the_user_may_not_edit_is_refused_with_403(self):
		lead = make_lead()
		address = only(linked_parents("Lead", lead, "Address"))
		before = row_counts()
		frappe.set_user(self.user)

		with self.assertRaises(frappe.PermissionError) as refused:
			convert(lead, with_team=False)

		self.assertEqual(refused.exception.http_status_code, 403)
		self.assertIn(address, str(refused.exception))
		self.assertIn("field Links", str(refused.exception))
		frappe.set_user("Administrator")
		self.assertEqual(row_counts(), before)
		self.assertFalse(frappe.db.exists("Opportunity", {"lead": lead}))

	def test_a_system_path_with_ignore_permissions_links_them(self):
		lead = make_lead()
		address = only(linked_parents("Lead", lead, "Address"))
		frappe.set_user(self.user)

		opportunity = make_opportunity(lead)
		opportunity.flags.ignore_permissions = True
		opportunity.insert()

		self.assertEqual(linked_parents("Opportunity", opportunity.name, "Address"), {address})
		with self.assertRaises(frappe.PermissionError):
			add_links([("Address", make_address_as_admin())], "Opportunity", opportunity.name)
		add_links(
			[("Address", make_address_as_admin())], "Opportunity", opportunity.name, ignore_permissions=True
		)
		self.assertEqual(len(linked_parents("Opportunity", opportunity.name, "Address")), 2)


def make_address_as_admin() -> str:
	user = frappe.session.user
	frappe.set_user("Administrator")
	try:
		return make_address()
	finally:
		frappe.set_user(user)


def only(records: set[str]) -> str:
	(record,) = records
	return record
