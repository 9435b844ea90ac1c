"""Property-based tests: malformed payloads at the methods and at POST /api/resource/Opportunity, over
HTTP against gunicorn. Every answer is a 4xx with a message; no 5xx; nothing is written."""

import inspect
import json
import string

import frappe
import requests
from frappe.tests.utils import FrappeTestCase
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from opportunity_crm.tests.factories import (
	convert,
	make_address,
	make_customer,
	make_lead,
	make_sales_person,
)
from opportunity_crm.tests.live_server import LiveServer, generate_keys
from opportunity_crm.tests.test_deadlocks import delete_leads
from opportunity_crm.tests.test_rest_contract import api_methods

EXAMPLES = 100
COUNTED = ("Opportunity", "Customer", "Address", "Contact", "Dynamic Link", "Comment")
FUZZ = settings(
	max_examples=EXAMPLES,
	deadline=None,
	derandomize=True,
	database=None,
	suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

nasty_text = st.one_of(
	st.text(max_size=40),
	st.sampled_from(
		[
			"",
			" ",
			"<script>alert(1)</script>",
			"<img src=x onerror=alert(1)>",
			"'; DROP TABLE `tabOpportunity`; --",
			'" OR 1=1 --',
			"%",
			"_",
			"CRM-LEAD-%",
			"\\",
			"\x00",
			"../../etc/passwd",
			"{{ frappe.db.sql('select 1') }}",
			"Ünïcödé 名前 اسم 🙂",
			"A" * 10_000,
			"é" * 5_000,
		]
	),
)
# JSON that both versions' request parsers take as it is: Frappe v15's json and v16's orjson. orjson refuses
# NaN and Infinity (not JSON) and reads an integer outside 64 bits as a float, so neither is drawn.
json_scalar = st.one_of(
	st.none(),
	st.booleans(),
	st.integers(min_value=-(2**63), max_value=2**63 - 1),
	st.floats(allow_nan=False, allow_infinity=False),
	nasty_text,
)
json_value = st.recursive(
	json_scalar,
	lambda children: (
		st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
	),
	max_leaves=6,
)
opportunity_fields = st.sampled_from(
	[
		"opportunity_from",
		"party_name",
		"company",
		"sales_partner",
		"sales_person",
		"customer",
		"lead",
		"items",
		"no_such_field",
	]
)


# keys a caller may add that no method takes ("_" and "cmd" are Frappe's own: it drops or overwrites them)
extra_keys = st.one_of(
	st.sampled_from(
		[
			"flags",
			"ignore_permissions",
			"doctype",
			"name",
			"data",
			"return",
			"kwargs",
			"Lead",
			"lead ",
			"leads_",
		]
	),
	st.text(alphabet=string.ascii_letters + string.digits + "_", min_size=1, max_size=12),
).filter(lambda key: key not in ("_", "cmd"))


class TestFuzz(FrappeTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		# records a payload may name: each makes the call invalid in its own way
		cls.converted_lead = make_lead()
		cls.opportunity = convert(cls.converted_lead)
		cls.customer_of_opportunity = frappe.call(
			"opportunity_crm.api.create_customer", opportunity=cls.opportunity
		)["customer"]
		cls.bare_lead = make_lead(addresses=0, contacts=0)
		cls.bare_opportunity = convert(cls.bare_lead)
		cls.disabled_lead = make_lead(disabled=1)
		cls.disabled_customer = make_customer(disabled=1)
		cls.group_person = make_sales_person(is_group=1)
		cls.disabled_person = make_sales_person(enabled=0)
		cls.address = make_address()
		frappe.db.commit()

		cls.server = LiveServer(workers=2).start()
		api_key, api_secret = generate_keys("Administrator", cls)
		cls.session = requests.Session()
		cls.session.headers.update(
			{"Host": cls.server.site, "Authorization": f"token {api_key}:{api_secret}"}
		)
		cls.requests = cls.server_errors = 0

	@classmethod
	def tearDownClass(cls):
		cls.server.stop()
		print(f"\nfuzz: {cls.requests} requests, {cls.server_errors} answered 5xx")
		frappe.db.rollback()
		teams = frappe.get_all(
			"Opportunity",
			{"name": ("in", (cls.opportunity, cls.bare_opportunity))},
			["sales_partner", "sales_person"],
			as_list=True,
		)
		delete_leads([cls.converted_lead, cls.bare_lead, cls.disabled_lead])
		for doctype, name in (
			("Customer", cls.customer_of_opportunity),
			("Customer", cls.disabled_customer),
			("Sales Person", cls.group_person),
			("Sales Person", cls.disabled_person),
			("Address", cls.address),
			*(
				(doctype, name)
				for team in teams
				for doctype, name in zip(("Sales Partner", "Sales Person"), team, strict=True)
			),
		):
			if name:
				frappe.delete_doc(doctype, name, force=True, ignore_permissions=True)
		frappe.db.commit()
		super().tearDownClass()

	def counts(self):
		frappe.db.rollback()  # a fresh snapshot: see what the server committed
		return {doctype: frappe.db.count(doctype) for doctype in COUNTED}

	def assertRefused(self, path: str, payload):
		before = self.counts()
		response = self.session.post(
			self.server.url(path),
			data=json.dumps(payload, default=str),
			timeout=60,
			headers={"Content-Type": "application/json"},
		)
		type(self).requests += 1
		if response.status_code >= 500:
			type(self).server_errors += 1
		self.assertGreaterEqual(response.status_code, 400, f"{path} accepted {payload!r:.300}")
		self.assertLess(response.status_code, 500, f"{path} {payload!r:.300} -> {response.text[:2000]}")
		answer = response.json()
		self.assertTrue(answer.get("exc_type"), response.text[:500])
		self.assertTrue(answer.get("_server_messages") or answer.get("exception"), response.text[:500])
		self.assertEqual(self.counts(), before, f"{path} {payload!r:.300} wrote rows")
		return answer

	@FUZZ
	@given(data=st.data())
	def test_convert_lead_refuses_bad_input(self, data):
		lead = data.draw(
			st.one_of(
				json_value,
				st.sampled_from(
					[self.converted_lead, self.disabled_lead, self.opportunity, self.customer_of_opportunity]
				),
			)
		)
		payload = {"lead": lead}
		for argument in ("company", "sales_partner", "sales_person"):
			if data.draw(st.booleans()):
				payload[argument] = data.draw(
					st.one_of(json_value, st.sampled_from([self.group_person, self.disabled_person]))
				)
		self.assertRefused("/api/method/opportunity_crm.api.convert_lead", payload)

	@FUZZ
	@given(data=st.data())
	def test_create_customer_refuses_bad_input(self, data):
		opportunity = data.draw(
			st.one_of(
				json_value, st.sampled_from([self.opportunity, self.bare_opportunity, self.converted_lead])
			)
		)
		payload = {"opportunity": opportunity}
		if data.draw(st.booleans()):
			payload["customer"] = data.draw(
				st.one_of(json_value, st.sampled_from([self.disabled_customer, self.customer_of_opportunity]))
			)
		# linking the Customer it already has is a valid, idempotent call
		assume(payload != {"opportunity": self.opportunity, "customer": self.customer_of_opportunity})
		self.assertRefused("/api/method/opportunity_crm.api.create_customer", payload)

	@FUZZ
	@given(data=st.data())
	def test_create_opportunity_refuses_bad_input(self, data):
		opportunity = data.draw(
			st.one_of(json_value, st.dictionaries(opportunity_fields, json_value, max_size=4))
		)
		addresses = data.draw(
			st.one_of(
				json_value,
				st.lists(st.one_of(json_value, st.just(self.address)), max_size=3),
				st.just([self.address, self.address]),
			)
		)
		contacts = data.draw(st.one_of(json_value, st.lists(json_value, max_size=3)))
		payload = {"opportunity": opportunity, "addresses": addresses, "contacts": contacts}
		self.assertRefused("/api/method/opportunity_crm.api.create_opportunity", payload)

	@FUZZ
	@given(data=st.data())
	def test_every_method_names_an_omitted_or_unknown_argument(self, data):
		methods = api_methods()
		name = data.draw(st.sampled_from(sorted(methods)))
		parameters = [
			parameter
			for parameter in inspect.signature(methods[name]).parameters.values()
			if parameter.kind != inspect.Parameter.VAR_KEYWORD
		]
		required = [p.name for p in parameters if p.default is p.empty]
		omitted = data.draw(st.lists(st.sampled_from(required), unique=True) if required else st.just([]))
		extras = data.draw(
			st.lists(
				extra_keys.filter(lambda key: key not in {p.name for p in parameters}),
				unique=True,
				max_size=3,
			)
		)
		assume(omitted or extras)
		# the given arguments are of their annotation's type (text, or a boolean for a bool): Frappe checks
		# the types before the method runs (a wrong one is its FrappeTypeError: test_rest_contract), the app
		# the names
		payload = {
			p.name: data.draw(st.booleans() if p.annotation is bool else st.text(max_size=20))
			for p in parameters
			if p.name not in omitted and (p.name in required or data.draw(st.booleans()))
		}
		payload.update({key: data.draw(json_value) for key in extras})

		answer = self.assertRefused(f"/api/method/opportunity_crm.api.{name}", payload)

		self.assertEqual(answer["exc_type"], "InvalidArgumentError", answer)
		message = " ".join(json.loads(m)["message"] for m in json.loads(answer["_server_messages"]))
		for argument in extras or omitted:  # unknown arguments are named first
			self.assertIn(repr(argument), message)

	@FUZZ
	@given(values=st.dictionaries(opportunity_fields, json_value, max_size=4))
	def test_resource_insert_refuses_bad_input(self, values):
		self.assertRefused("/api/resource/Opportunity", values)
