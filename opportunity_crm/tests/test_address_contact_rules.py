import json

import frappe
from erpnext.crm.doctype.opportunity.opportunity import make_quotation
from frappe.tests.utils import FrappeTestCase

from opportunity_crm import api
from opportunity_crm.exceptions import MissingAddressOrContactError
from opportunity_crm.tests.factories import (
	add_wish,
	convert,
	default_company,
	linked_parents,
	make_address,
	make_contact,
	make_customer,
	make_lead,
	make_sales_order,
)

MAKE = {"Address": make_address, "Contact": make_contact}


def only(records: set[str]) -> str:
	(record,) = records
	return record


def unlink(doctype: str, name: str, opportunity: str):
	"""The Address/Contact as a form, REST or Data Import would save it without its Opportunity row."""
	doc = frappe.get_doc(doctype, name)
	doc.links = [
		row for row in doc.links if (row.link_doctype, row.link_name) != ("Opportunity", opportunity)
	]
	return doc


class TestAnOpportunityWithDocumentsKeepsAnAddressAndAContact(FrappeTestCase):
	def converted_opportunity(self) -> str:
		"""An Opportunity that became a Customer, with one Address and one Contact of its own."""
		opportunity = convert(make_lead())
		api.create_customer(opportunity)
		return opportunity

	def assertRefusal(self, refused, *names: str):
		message = str(refused.exception)
		for name in (*names, "field Links", "keeps at least one linked Address and one linked Contact"):
			self.assertIn(name, message)

	def test_saving_the_last_address_or_contact_without_its_link_is_refused(self):
		opportunity = self.converted_opportunity()
		customer = frappe.db.get_value("Opportunity", opportunity, "customer")
		for doctype in ("Address", "Contact"):
			with self.subTest(doctype=doctype):
				name = only(linked_parents("Opportunity", opportunity, doctype))

				with self.assertRaises(MissingAddressOrContactError) as refused:
					unlink(doctype, name, opportunity).save()

				self.assertRefusal(refused, name, opportunity, customer)
				self.assertEqual(linked_parents("Opportunity", opportunity, doctype), {name})

	def test_rest_save_without_the_link_is_refused_with_417(self):
		"""PUT /api/resource/Address/… and frappe.client.save take the same save path."""
		opportunity = self.converted_opportunity()
		name = only(linked_parents("Opportunity", opportunity, "Address"))
		body = json.loads(frappe.as_json(unlink("Address", name, opportunity).as_dict()))

		with self.assertRaises(MissingAddressOrContactError) as refused:
			frappe.client.save(body)

		self.assertEqual(refused.exception.http_status_code, 417)
		self.assertRefusal(refused, name, opportunity)

	def test_unlinking_one_of_several_is_allowed(self):
		opportunity = self.converted_opportunity()
		for doctype in ("Address", "Contact"):
			with self.subTest(doctype=doctype):
				first = only(linked_parents("Opportunity", opportunity, doctype))
				second = MAKE[doctype]("Opportunity", opportunity)

				unlink(doctype, first, opportunity).save()

				self.assertEqual(linked_parents("Opportunity", opportunity, doctype), {second})

	def test_deleting_the_last_address_or_contact_is_refused(self):
		opportunity = self.converted_opportunity()
		for doctype in ("Address", "Contact"):
			with self.subTest(doctype=doctype):
				name = only(linked_parents("Opportunity", opportunity, doctype))

				with self.assertRaises(MissingAddressOrContactError) as refused:
					frappe.delete_doc(doctype, name)

				self.assertRefusal(refused, name, opportunity, "cannot be deleted")
				self.assertTrue(frappe.db.exists(doctype, name))

	def test_deleting_one_of_several_is_allowed(self):
		opportunity = self.converted_opportunity()
		for doctype in ("Address", "Contact"):
			with self.subTest(doctype=doctype):
				first = only(linked_parents("Opportunity", opportunity, doctype))
				second = MAKE[doctype]("Opportunity", opportunity)

				frappe.delete_doc(doctype, second)

				self.assertEqual(linked_parents("Opportunity", opportunity, doctype), {first})

	def test_merging_the_last_one_into_a_record_of_another_party_is_refused(self):
		"""Frappe's merge deletes the merged record with its links: the target must be linked already."""
		opportunity = self.converted_opportunity()
		for doctype in ("Address", "Contact"):
			with self.subTest(doctype=doctype):
				name = only(linked_parents("Opportunity", opportunity, doctype))
				target = MAKE[doctype]()

				with self.assertRaises(MissingAddressOrContactError) as refused:
					frappe.rename_doc(doctype, name, target, merge=True)

				self.assertRefusal(refused, name, target, opportunity, "cannot be merged into")
				self.assertTrue(frappe.db.exists(doctype, name))
				self.assertEqual(linked_parents("Opportunity", opportunity, doctype), {name})

	def test_merging_into_a_record_linked_to_the_opportunity_is_allowed(self):
		opportunity = self.converted_opportunity()
		for doctype in ("Address", "Contact"):
			with self.subTest(doctype=doctype):
				name = only(linked_parents("Opportunity", opportunity, doctype))
				target = MAKE[doctype]("Opportunity", opportunity)

				frappe.rename_doc(doctype, name, target, merge=True)

				self.assertFalse(frappe.db.exists(doctype, name))
				self.assertEqual(linked_parents("Opportunity", opportunity, doctype), {target})

	def test_renaming_keeps_the_links(self):
		opportunity = self.converted_opportunity()
		name = only(linked_parents("Opportunity", opportunity, "Address"))
		new_name = f"{name} baru"

		frappe.rename_doc("Address", name, new_name)

		self.assertEqual(linked_parents("Opportunity", opportunity, "Address"), {new_name})

	def test_a_quotation_that_is_not_cancelled_counts(self):
		opportunity = convert(make_lead())
		add_wish(opportunity)
		quotation = make_quotation(opportunity)
		quotation.insert()  # a draft is enough
		address = only(linked_parents("Opportunity", opportunity, "Address"))

		with self.assertRaises(MissingAddressOrContactError) as refused:
			unlink("Address", address, opportunity).save()
		self.assertRefusal(refused, opportunity, quotation.name)

		quotation.submit()
		quotation.cancel()
		unlink("Address", address, opportunity).save()  # a cancelled one does not count
		self.assertEqual(linked_parents("Opportunity", opportunity, "Address"), set())

	def test_a_sales_order_counts(self):
		customer = make_customer()
		make_address("Customer", customer)
		make_contact("Customer", customer)
		opportunity = (
			frappe.get_doc(
				{
					"doctype": "Opportunity",
					"opportunity_from": "Customer",
					"party_name": customer,
					"company": default_company(),
				}
			)
			.insert()
			.name
		)
		sales_order = make_sales_order(customer, opportunity=opportunity).insert()
		contact = only(linked_parents("Opportunity", opportunity, "Contact"))

		with self.assertRaises(MissingAddressOrContactError) as refused:
			frappe.delete_doc("Contact", contact)

		self.assertRefusal(refused, contact, opportunity, sales_order.name)

	def test_an_opportunity_without_documents_may_lose_its_links(self):
		opportunity = convert(make_lead(addresses=2, contacts=2))
		# ERPNext fills the Opportunity's `customer_address` / `contact_person` with one of the Lead's: that
		# one is only unlinked (deleting a record another one points at is Frappe's LinkExistsError)
		in_use = frappe.db.get_value("Opportunity", opportunity, ["customer_address", "contact_person"])
		first, second = sorted(
			linked_parents("Opportunity", opportunity, "Address"), key=lambda a: a != in_use[0]
		)
		contact, other_contact = sorted(
			linked_parents("Opportunity", opportunity, "Contact"), key=lambda c: c != in_use[1]
		)

		unlink("Address", first, opportunity).save()
		frappe.delete_doc("Address", second)
		unlink("Contact", contact, opportunity).save()
		frappe.rename_doc("Contact", other_contact, make_contact(), merge=True)

		self.assertEqual(linked_parents("Opportunity", opportunity, "Address"), set())
		self.assertEqual(linked_parents("Opportunity", opportunity, "Contact"), set())
