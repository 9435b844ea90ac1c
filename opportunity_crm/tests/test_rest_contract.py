import inspect
import json

import frappe
from frappe.tests.test_api import FrappeAPITestCase
from frappe.utils.typing_validations import TypeAdapter

from opportunity_crm import api
from opportunity_crm.tests.committed import keep_api_keys
from opportunity_crm.tests.factories import default_company, make_customer, make_lead, row_counts

METHOD = "/api/method/opportunity_crm.api."
# values to give an argument: the first its annotation refuses is the wrong type, the first it takes a
# stand-in while another argument is under test
SAMPLE_VALUES = ("x", ["x"], {"x": 1}, 1.5)


def api_methods() -> dict:
	"""Every whitelisted function of opportunity_crm.api, including those added after this test."""
	return {
		name: function
		for name, function in vars(api).items()
		if callable(function) and function in frappe.whitelisted and function.__module__ == api.__name__
	}


def parameters_of(function) -> dict[str, inspect.Parameter]:
	return {
		name: parameter
		for name, parameter in inspect.signature(function).parameters.items()
		if parameter.kind != inspect.Parameter.VAR_KEYWORD
	}


def accepts(parameter: inspect.Parameter, value) -> bool:
	annotation = parameter.annotation
	if parameter.default is not parameter.empty:
		annotation = annotation | type(parameter.default)
	try:
		TypeAdapter(annotation).validate_python(value)
		return True
	except Exception:
		return False


def stand_ins(parameters: dict) -> dict:
	"""A value of the right type for every required argument."""
	return {
		name: next(v for v in SAMPLE_VALUES if accepts(parameter, v))
		for name, parameter in parameters.items()
		if parameter.default is parameter.empty
	}


class TestRestContract(FrappeAPITestCase):
	"""The contract as an integrator meets it: HTTP requests with token auth through Frappe's WSGI app
	(each request commits in its own connection, so the tests clean up after themselves)."""

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		keep_api_keys(cls, "Administrator")  # committed below: put back after the class
		user = frappe.get_doc("User", "Administrator")
		api_secret = frappe.generate_hash(length=15)
		user.api_key = user.api_key or frappe.generate_hash(length=15)
		user.api_secret = api_secret
		user.save(ignore_permissions=True)
		frappe.db.commit()
		cls.headers = {"Authorization": f"token {user.api_key}:{api_secret}"}

	def setUp(self):
		self.leads = []
		self.customers = []

	def tearDown(self):
		frappe.db.rollback()
		for lead in self.leads:
			for customer in frappe.get_all("Customer", {"lead_name": lead}, pluck="name"):
				frappe.delete_doc("Customer", customer, force=True)
			for opportunity in frappe.get_all("Opportunity", {"party_name": lead}, pluck="name"):
				frappe.delete_doc("Opportunity", opportunity, force=True)
			frappe.delete_doc("Lead", lead, force=True)
		for customer in self.customers:
			frappe.delete_doc("Customer", customer, force=True)
		frappe.db.commit()

	def lead(self, **kwargs) -> str:
		lead = make_lead(**kwargs)
		frappe.db.commit()
		self.leads.append(lead)
		return lead

	def call(self, method: str, **data):
		return self.post(METHOD + method, data, headers=self.headers)

	def assertRefused(self, response, status: int, exc_type: str, *words: str):
		self.assertEqual(response.status_code, status, response.text)
		self.assertEqual(response.json["exc_type"], exc_type)
		body = response.json
		messages = " ".join(json.loads(m)["message"] for m in json.loads(body.get("_server_messages", "[]")))
		messages += " " + body.get("exception", "")
		for word in words:
			self.assertIn(word, messages)

	def test_convert_lead_then_create_customer_over_http(self):
		lead = self.lead()

		response = self.call("convert_lead", lead=lead)
		self.assertEqual(response.status_code, 200, response.text)
		opportunity = response.json["message"]["opportunity"]

		response = self.call("create_customer", opportunity=opportunity)
		self.assertEqual(response.status_code, 200, response.text)
		customer = response.json["message"]["customer"]
		self.assertEqual(frappe.db.get_value("Opportunity", opportunity, "customer"), customer)

		self.assertRefused(
			self.call("convert_lead", lead=lead), 417, "DuplicateOpportunityError", lead, opportunity
		)
		self.assertRefused(
			self.call("create_customer", opportunity=opportunity), 417, "DuplicateCustomerError", customer
		)

	def test_refusals_are_4xx_with_a_message_naming_the_field(self):
		lead = self.lead(addresses=0)
		opportunity = self.call("convert_lead", lead=lead).json["message"]["opportunity"]
		customer = make_customer()
		frappe.db.commit()
		self.customers.append(customer)
		counts = {d: frappe.db.count(d) for d in ("Opportunity", "Customer", "Address", "Dynamic Link")}

		self.assertRefused(
			self.call("create_customer", opportunity=opportunity),
			417,
			"MissingAddressOrContactError",
			"Address",
		)
		self.assertRefused(
			self.call("convert_lead", lead="CRM-LEAD-NONE"), 404, "DoesNotExistError", "lead", "CRM-LEAD-NONE"
		)
		self.assertRefused(self.call("convert_lead", lead=["x"]), 417, "FrappeTypeError", "lead")
		self.assertRefused(
			self.call("create_opportunity", opportunity={}, addresses="{", contacts=[]),
			417,
			"InvalidArgumentError",
			"addresses",
		)
		response = self.post(
			"/api/resource/Opportunity",
			{"opportunity_from": "Lead", "party_name": lead, "company": default_company()},
			headers=self.headers,
		)
		self.assertRefused(response, 417, "DuplicateOpportunityError", opportunity)
		response = self.put(
			f"/api/resource/Opportunity/{opportunity}", {"customer": customer}, headers=self.headers
		)
		self.assertRefused(response, 417, "ReadOnlyFieldError", "customer")

		frappe.db.rollback()
		self.assertEqual(
			{d: frappe.db.count(d) for d in ("Opportunity", "Customer", "Address", "Dynamic Link")}, counts
		)

	def test_every_method_refuses_a_missing_unknown_or_mistyped_argument_by_name(self):
		methods = api_methods()
		self.assertIn("convert_lead", methods)
		before = row_counts()
		for name, function in methods.items():
			with self.subTest(method=name):
				self.assertTrue(
					getattr(function, "opportunity_crm_api_method", False),
					f"declare {name} with @api_method() (see opportunity_crm/api.py)",
				)
				parameters = parameters_of(function)
				valid = stand_ins(parameters)

				for extra in ("no_such_argument", "flags", "ignore_permissions"):
					self.assertRefused(
						self.call(name, **valid, **{extra: "1"}), 417, "InvalidArgumentError", extra
					)
				response = self.post(
					f"/api/v2/method/opportunity_crm.api.{name}", {**valid, "flags": {}}, headers=self.headers
				)
				self.assertEqual(response.status_code, 417, response.text)
				[error] = response.json["errors"]  # API v2's shape of an error
				self.assertEqual(error["type"], "InvalidArgumentError")
				self.assertIn("flags", error["message"])

				for missing in valid:
					given = {key: value for key, value in valid.items() if key != missing}
					self.assertRefused(self.call(name, **given), 417, "InvalidArgumentError", missing)

				for argument, parameter in parameters.items():
					wrong = next(v for v in SAMPLE_VALUES if not accepts(parameter, v))
					self.assertRefused(
						self.call(name, **{**valid, argument: wrong}), 417, "FrappeTypeError", argument
					)
		frappe.db.rollback()
		self.assertEqual(row_counts(), before)

	def test_methods_take_post_only(self):
		response = self.get(METHOD + "convert_lead", {"lead": self.lead()}, headers=self.headers)
		self.assertGreaterEqual(response.status_code, 400)
		self.assertLess(response.status_code, 500)
		self.assertFalse(frappe.db.exists("Opportunity", {"lead": self.leads[-1]}))
