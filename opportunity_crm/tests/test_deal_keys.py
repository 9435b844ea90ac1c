import random

import frappe
from frappe.model.naming import set_new_name
from frappe.tests.utils import FrappeTestCase
from frappe.utils import add_days, today

from opportunity_crm.crm import deal_keys
from opportunity_crm.crm.deal_keys import (
	company_key,
	email_domain,
	find_matches,
	normalise_tax_id,
	phone_digits,
)
from opportunity_crm.tests.factories import convert, make_lead, make_sales_partner


def fresh_domain() -> str:
	return f"{frappe.generate_hash(length=10)}.co.id"


def fresh_phone() -> str:
	return "0812" + "".join(random.choices("0123456789", k=8))


def fresh_tax_id() -> str:
	digits = "".join(random.choices("0123456789", k=15))
	return f"{digits[:2]}.{digits[2:5]}.{digits[5:8]}.{digits[8]}-{digits[9:12]}.{digits[12:]}"


def fresh_company() -> str:
	return f"PT {frappe.generate_hash(length=12)} (Persero) Tbk"


def make_registration(status: str = "Submitted", protected_until=None, **values) -> str:
	"""A Deal Registration in `status`, written as the workflow would leave it (no transition from Draft:
	the workflow's rules are helper D's tests)."""
	doc = frappe.new_doc("Deal Registration")
	doc.update(
		{
			"sales_partner": values.pop("sales_partner", None) or make_sales_partner(),
			"prospect_name": values.get("prospect_name") or fresh_company(),
			"status": status,
			"protected_until": protected_until,
			**values,
		}
	)
	deal_keys.set_keys(
		doc,
		tax_id=doc.tax_id,
		email=doc.contact_email,
		website=doc.website,
		phone=doc.contact_phone,
		company_name=doc.prospect_name,
	)
	set_new_name(doc)
	doc.db_insert()
	return doc.name


def found(matches: list[dict]) -> set[tuple[str, str, str]]:
	return {(match["doctype"], match["name"], match["key"]) for match in matches}


class TestNormalisedKeys(FrappeTestCase):
	def test_tax_id_is_its_digits_and_a_16_digit_npwp_is_its_15_digit_one(self):
		self.assertEqual(normalise_tax_id("01.234.567.8-901.000"), "012345678901000")
		self.assertEqual(normalise_tax_id("0012345678901000"), "012345678901000")
		self.assertEqual(normalise_tax_id("NPWP: 01 234 567 8 901 000"), "012345678901000")
		self.assertEqual(normalise_tax_id("3171234567890001"), "3171234567890001")  # a NIK stays
		self.assertIsNone(normalise_tax_id("12-3"))
		self.assertIsNone(normalise_tax_id(None))

	def test_domain_is_the_registrable_domain_of_an_email_or_a_website(self):
		for value in (
			"Sales@Mail.Acme.co.id",
			"https://www.acme.co.id/tentang-kami",
			"WWW.ACME.CO.ID",
			"http://shop.acme.co.id:8080",
			"acme.co.id",
		):
			with self.subTest(value=value):
				self.assertEqual(email_domain(value), "acme.co.id")
		self.assertEqual(email_domain("budi@sub.example.com"), "example.com")
		self.assertIsNone(email_domain("not a domain"))
		self.assertIsNone(email_domain(""))

	def test_free_mail_domains_are_no_key(self):
		for value in ("budi@gmail.com", "siti@yahoo.co.id", "x@YAHOO.COM", "y@outlook.com", "z@hotmail.com"):
			with self.subTest(value=value):
				self.assertIsNone(email_domain(value))

	def test_phone_is_its_digits_with_the_indonesian_prefix_unified(self):
		for value in (
			"+62 812-3456-7890",
			"62 812 3456 7890",
			"0812.3456.7890",
			"(0812) 3456 7890",
			"0062 812 34567890",
		):
			with self.subTest(value=value):
				self.assertEqual(phone_digits(value), "81234567890")
		self.assertEqual(phone_digits("+62 21 555 1234"), phone_digits("(021) 555-1234"))
		self.assertIsNone(phone_digits("0812"))

	def test_company_name_without_case_accents_punctuation_or_legal_forms(self):
		for value in (
			"PT Maju Jaya",
			"PT. Maju Jaya Tbk",
			"MAJU JAYA, P.T.",
			"P T Maju-Jaya (Persero)",
			"Maju Jaya, PT Tbk",
			"máju jäya",
		):
			with self.subTest(value=value):
				self.assertEqual(company_key(value), "majujaya")
		for legal_form in (
			"CV",
			"UD",
			"PD",
			"Koperasi",
			"Yayasan",
			"Firma",
			"Ltd",
			"LLC",
			"Inc",
			"GmbH",
			"BV",
		):
			with self.subTest(legal_form=legal_form):
				self.assertEqual(company_key(f"{legal_form} Sinar Abadi"), "sinarabadi")
				self.assertEqual(company_key(f"Sinar Abadi {legal_form}."), "sinarabadi")
		self.assertIsNone(company_key("PT"))
		self.assertIsNone(company_key(None))


class TestKeysOnSave(FrappeTestCase):
	def test_a_lead_gets_its_keys_from_company_email_website_and_phone(self):
		domain, phone = fresh_domain(), fresh_phone()
		lead = frappe.get_doc("Lead", make_lead(email_id=f"budi@{domain}", mobile_no=phone))
		self.assertEqual(lead.key_domain, domain)
		self.assertEqual(lead.key_phone, phone_digits(phone))
		self.assertEqual(lead.key_name, company_key(lead.company_name))
		self.assertIsNone(lead.key_tax_id)

		other_domain = fresh_domain()
		lead.website = f"https://www.{other_domain}/"
		lead.phone = "+62 21 5550 1234"
		lead.save()
		self.assertEqual(lead.key_domain, other_domain)  # the website first, then the e-mail
		self.assertEqual(lead.key_phone, "2155501234")  # the phone first, then the mobile

	def test_a_customer_gets_its_keys_from_name_tax_id_website_and_mobile(self):
		tax_id, domain = fresh_tax_id(), fresh_domain()
		customer = frappe.get_doc(
			{
				"doctype": "Customer",
				"customer_name": fresh_company(),
				"tax_id": tax_id,
				"website": domain,
			}
		).insert(ignore_permissions=True)
		self.assertEqual(customer.key_tax_id, normalise_tax_id(tax_id))
		self.assertEqual(customer.key_domain, domain)
		self.assertEqual(customer.key_name, company_key(customer.customer_name))
		self.assertEqual(
			frappe.db.get_value("Customer", customer.name, "key_tax_id"), normalise_tax_id(tax_id)
		)

	def test_a_prospect_gets_its_keys_from_company_and_website(self):
		domain = fresh_domain()
		prospect = frappe.get_doc(
			{"doctype": "Prospect", "company_name": fresh_company(), "website": f"http://{domain}"}
		).insert(ignore_permissions=True)
		self.assertEqual(prospect.key_domain, domain)
		self.assertEqual(prospect.key_name, company_key(prospect.company_name))


class TestBackfill(FrappeTestCase):
	"""The backfill commits (a chunk at a time): its records are uniquely named and deleted afterwards."""

	def test_backfill_fills_missing_keys_and_a_second_run_changes_nothing(self):
		domain = fresh_domain()
		lead = make_lead(addresses=0, contacts=0, email_id=f"a@{domain}")
		customer = frappe.get_doc(
			{"doctype": "Customer", "customer_name": fresh_company(), "tax_id": fresh_tax_id()}
		).insert(ignore_permissions=True)
		self.addCleanup(self.delete_committed, [("Lead", lead), ("Customer", customer.name)])
		expected = {
			"Lead": frappe.db.get_value("Lead", lead, deal_keys.KEY_FIELDS, as_dict=True),
			"Customer": frappe.db.get_value("Customer", customer.name, deal_keys.KEY_FIELDS, as_dict=True),
		}
		# as on a site that had them before the keys existed
		for doctype, name in (("Lead", lead), ("Customer", customer.name)):
			frappe.db.set_value(doctype, name, dict.fromkeys(deal_keys.KEY_FIELDS), update_modified=False)
		modified = frappe.db.get_value("Lead", lead, "modified")

		changed = deal_keys.backfill_keys(chunk=3)  # several chunks on any site
		self.assertGreaterEqual(changed["Lead"], 1)
		self.assertGreaterEqual(changed["Customer"], 1)
		self.assertEqual(
			frappe.db.get_value("Lead", lead, deal_keys.KEY_FIELDS, as_dict=True), expected["Lead"]
		)
		self.assertEqual(
			frappe.db.get_value("Customer", customer.name, deal_keys.KEY_FIELDS, as_dict=True),
			expected["Customer"],
		)
		self.assertEqual(frappe.db.get_value("Lead", lead, "modified"), modified)

		self.assertEqual(deal_keys.backfill_keys(chunk=3), {"Lead": 0, "Customer": 0, "Prospect": 0})

	@staticmethod
	def delete_committed(records):
		for doctype, name in records:
			frappe.delete_doc(doctype, name, force=True, ignore_permissions=True)
		frappe.db.commit()


class TestFindMatches(FrappeTestCase):
	def test_each_key_finds_a_lead(self):
		domain, phone, company = fresh_domain(), fresh_phone(), fresh_company()
		lead = make_lead(company_name=company, website=domain, phone=phone)
		for key, value in (
			("key_domain", domain),
			("key_phone", phone_digits(phone)),
			("key_name", company_key(company)),
		):
			with self.subTest(key=key):
				self.assertIn(("Lead", lead, key), found(find_matches({key: value})))
		match = next(m for m in find_matches({"key_domain": domain}) if m["doctype"] == "Lead")
		self.assertEqual(match["title"], company)
		self.assertEqual(match["value"], domain)
		self.assertEqual(match["status"], frappe.db.get_value("Lead", lead, "status"))

	def test_each_key_finds_a_customer(self):
		tax_id, domain, company = fresh_tax_id(), fresh_domain(), fresh_company()
		partner = make_sales_partner()
		customer = frappe.get_doc(
			{
				"doctype": "Customer",
				"customer_name": company,
				"tax_id": tax_id,
				"website": domain,
				"default_sales_partner": partner,
			}
		).insert(ignore_permissions=True)
		phone = fresh_phone()
		frappe.db.set_value("Customer", customer.name, "mobile_no", phone)  # ERPNext fills it from a Contact
		customer.reload()
		customer.save()
		keys = {
			"key_tax_id": normalise_tax_id(tax_id),
			"key_domain": domain,
			"key_phone": phone_digits(phone),
			"key_name": company_key(company),
		}
		matches = find_matches(keys)
		for key in keys:
			with self.subTest(key=key):
				self.assertIn(("Customer", customer.name, key), found(matches))
		self.assertEqual({m["sales_partner"] for m in matches if m["doctype"] == "Customer"}, {partner})
		# the same tax id typed the new (16-digit) way
		digits = normalise_tax_id(tax_id)
		self.assertIn(
			("Customer", customer.name, "key_tax_id"),
			found(find_matches({"key_tax_id": normalise_tax_id("0" + digits)})),
		)

	def test_an_open_opportunity_matches_through_its_party_and_a_closed_one_does_not(self):
		domain = fresh_domain()
		partner = make_sales_partner()
		opportunity = convert(make_lead(website=domain), sales_partner=partner)
		matches = [m for m in find_matches({"key_domain": domain}) if m["doctype"] == "Opportunity"]
		self.assertEqual([(m["name"], m["sales_partner"]) for m in matches], [(opportunity, partner)])

		for status in ("Lost", "Closed"):
			with self.subTest(status=status):
				frappe.db.set_value("Opportunity", opportunity, "status", status)
				self.assertNotIn("Opportunity", {m["doctype"] for m in find_matches({"key_domain": domain})})
		# the Lead itself still matches
		self.assertIn("Lead", {m["doctype"] for m in find_matches({"key_domain": domain})})

	def test_an_opportunity_of_a_customer_or_a_prospect_matches_through_its_party(self):
		for doctype, values in (
			("Customer", {"customer_name": fresh_company()}),
			("Prospect", {"company_name": fresh_company()}),
		):
			with self.subTest(party=doctype):
				domain = fresh_domain()
				party = frappe.get_doc({"doctype": doctype, "website": domain, **values}).insert(
					ignore_permissions=True
				)
				opportunity = frappe.get_doc(
					{
						"doctype": "Opportunity",
						"opportunity_from": doctype,
						"party_name": party.name,
						"company": frappe.defaults.get_global_default("company"),
					}
				)
				opportunity.flags.ignore_mandatory = True
				opportunity.insert(ignore_permissions=True)
				self.assertIn(
					("Opportunity", opportunity.name, "key_domain"),
					found(find_matches({"key_domain": domain})),
				)

	def test_live_registrations_match_and_finished_ones_do_not(self):
		tax_id = normalise_tax_id(fresh_tax_id())
		registrations = {
			status: make_registration(status, protected_until=until, tax_id=tax_id)
			for status, until in (
				("Submitted", None),
				("Returned", None),
				("Approved", today()),  # protected through today
				("Draft", None),
				("Rejected", None),
				("Expired", add_days(today(), -1)),
				("Converted", add_days(today(), 30)),
			)
		}
		expired_approved = make_registration("Approved", protected_until=add_days(today(), -1), tax_id=tax_id)
		matches = found(find_matches({"key_tax_id": tax_id}))
		live = {
			("Deal Registration", registrations[s], "key_tax_id")
			for s in ("Submitted", "Returned", "Approved")
		}
		self.assertEqual({m for m in matches if m[0] == "Deal Registration"}, live)
		self.assertNotIn(("Deal Registration", expired_approved, "key_tax_id"), matches)

	def test_exclude_leaves_out_the_registration_itself(self):
		domain = fresh_domain()
		mine = make_registration(website=domain)
		other = make_registration(website=domain)
		names = {m["name"] for m in find_matches({"key_domain": domain}, exclude=mine)}
		self.assertEqual(names, {other})
		names = {
			m["name"] for m in find_matches({"key_domain": domain}, exclude=[("Deal Registration", other)])
		}
		self.assertEqual(names, {mine})

	def test_no_keys_no_matches_and_no_query(self):
		self.assertEqual(find_matches({"key_domain": None, "key_name": ""}), [])

	def test_every_lookup_reads_an_index_never_the_whole_table(self):
		keys = {
			"key_tax_id": "012345678901000",
			"key_domain": "acme.co.id",
			"key_phone": "81234567890",
			"key_name": "acme",
		}
		queries = deal_keys.match_queries(keys)
		self.assertEqual(len(queries), 4)  # one per table: Leads, Customers, Opportunities, registrations
		for sql, values in queries:
			plan = frappe.db.sql(f"explain {sql}", values, as_dict=True)
			for row in plan:
				if row.select_type == "UNION RESULT":
					continue  # the union's own result, not a table read
				with self.subTest(table=row.table, sql=sql[:80]):
					self.assertNotEqual(row.type, "ALL")
					self.assertTrue(row.key, row)
