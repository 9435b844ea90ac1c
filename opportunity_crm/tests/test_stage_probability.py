import frappe
from frappe.tests.utils import FrappeTestCase

from opportunity_crm.tests.factories import convert, default_company, make_customer, make_lead


def stage(probability: float) -> str:
	name = f"_OCRM Stage {frappe.generate_hash(length=6)}"
	frappe.get_doc({"doctype": "Sales Stage", "stage_name": name, "probability": probability}).insert()
	return name


class TestStageProbability(FrappeTestCase):
	def opportunity(self, **values):
		doc = frappe.get_doc("Opportunity", convert(make_lead()))
		doc.update({"opportunity_amount": 1_000_000, **values})
		doc.save()
		return doc

	def test_a_new_opportunity_takes_the_probability_of_its_stage(self):
		doc = frappe.get_doc("Opportunity", convert(make_lead()))
		self.assertEqual(doc.sales_stage, "Prospecting")
		self.assertEqual(doc.probability, 10)

	def test_probability_follows_the_stage_and_weighted_amount_follows_both(self):
		doc = self.opportunity(sales_stage=stage(40))
		self.assertEqual((doc.probability, doc.weighted_amount), (40, 400_000))

		doc.sales_stage = stage(75)
		doc.save()
		self.assertEqual((doc.probability, doc.weighted_amount), (75, 750_000))

		doc.opportunity_amount = 2_000_000
		doc.save()
		self.assertEqual(doc.weighted_amount, 1_500_000)

	def test_a_typed_probability_stays_when_the_stage_changes(self):
		doc = self.opportunity(sales_stage=stage(40))
		doc.probability = 55
		doc.save()
		self.assertTrue(doc.probability_overridden)

		doc.sales_stage = stage(90)
		doc.save()
		self.assertEqual((doc.probability, doc.weighted_amount), (55, 550_000))

	def test_typing_the_stage_value_again_makes_it_follow_the_stage_again(self):
		first = stage(40)
		doc = self.opportunity(sales_stage=first, probability=55)
		doc.probability = 40
		doc.save()
		self.assertFalse(doc.probability_overridden)
		doc.sales_stage = stage(60)
		doc.save()
		self.assertEqual(doc.probability, 60)

	def test_a_probability_given_at_creation_is_kept(self):
		"""What POST /api/resource/Opportunity with a probability does."""
		doc = frappe.get_doc(
			{
				"doctype": "Opportunity",
				"opportunity_from": "Customer",
				"party_name": make_customer(),
				"company": default_company(),
				"sales_stage": stage(30),
				"probability": 65,
				"opportunity_amount": 100,
			}
		).insert()
		self.assertEqual((doc.probability, doc.weighted_amount, doc.probability_overridden), (65, 65, 1))

	def test_changing_a_stage_probability_updates_the_opportunities_that_follow_it(self):
		shared = stage(40)
		following = self.opportunity(sales_stage=shared)
		typed = self.opportunity(sales_stage=shared, probability=15)

		sales_stage = frappe.get_doc("Sales Stage", shared)
		sales_stage.probability = 50
		sales_stage.save()

		self.assertEqual(
			frappe.db.get_value("Opportunity", following.name, ["probability", "weighted_amount"]),
			(50, 500_000),
		)
		self.assertEqual(frappe.db.get_value("Opportunity", typed.name, "probability"), 15)

	def test_install_gives_erpnext_stages_a_probability_without_overwriting_the_sites_own(self):
		from opportunity_crm.setup.install import set_default_stage_probabilities

		frappe.db.set_value("Sales Stage", "Qualification", "probability", 33)
		frappe.db.set_value("Sales Stage", "Needs Analysis", "probability", 0)
		set_default_stage_probabilities()
		self.assertEqual(frappe.db.get_value("Sales Stage", "Qualification", "probability"), 33)
		self.assertEqual(frappe.db.get_value("Sales Stage", "Needs Analysis", "probability"), 30)

	def test_base_amount_is_in_the_company_currency(self):
		doc = self.opportunity()
		self.assertEqual(doc.base_opportunity_amount, doc.opportunity_amount * doc.conversion_rate)

	def test_a_new_opportunity_from_the_desk_form_takes_the_stage_probability(self):
		"""The desk sends 0 for the untouched Percent field."""
		doc = frappe.get_doc(
			{
				"doctype": "Opportunity",
				"opportunity_from": "Customer",
				"party_name": make_customer(),
				"company": default_company(),
				"sales_stage": stage(35),
				"probability": 0,
			}
		).insert()
		self.assertEqual((doc.probability, doc.probability_overridden), (35, 0))
