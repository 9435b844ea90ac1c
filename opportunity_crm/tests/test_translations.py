import csv
import json
import re

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.translate import get_messages_for_app

from opportunity_crm.constants.custom_fields import CUSTOM_FIELDS

LANGUAGE = "id"


def app_strings() -> set[str]:
	"""Every user-facing string the app adds: `_()` / `__()` in its code, its doctype, report, workspace
	and number cards, and its custom fields (labels, descriptions, options)."""
	strings = {
		message[1]
		for message in get_messages_for_app("opportunity_crm")
		if not str(message[0]).startswith("Navbar")  # Frappe's own navbar, listed for every app
	}
	for fields in CUSTOM_FIELDS.values():
		for field in fields:
			strings.update(filter(None, (field.get("label"), field.get("description"))))
			if field["fieldtype"] == "Select":
				strings.update(filter(None, field["options"].split("\n")))
	workspace = frappe.get_doc("Workspace", "Opportunity CRM")
	strings.add(workspace.label)
	strings.update(link.label for link in workspace.links if link.type == "Card Break")
	for block in json.loads(workspace.content):
		if block["type"] == "header":
			strings.add(re.sub(r"<[^>]+>", "", block["data"]["text"]).replace("&amp;", "&"))
	strings.update(frappe.get_all("Number Card", {"module": "Opportunity CRM"}, pluck="label"))
	strings.update(frappe.get_all("Report", {"module": "Opportunity CRM"}, pluck="name"))
	return strings


def shipped_translations() -> dict[str, str]:
	with open(frappe.get_app_path("opportunity_crm", "translations", f"{LANGUAGE}.csv"), newline="") as f:
		return {row[0]: row[1] for row in csv.reader(f) if row}


class TestTranslations(FrappeTestCase):
	def test_every_string_the_app_adds_has_an_indonesian_translation(self):
		translations = shipped_translations()
		missing = sorted(s for s in app_strings() if not translations.get(s, "").strip())
		self.assertEqual(missing, [], "add these to opportunity_crm/translations/id.csv")

	def test_translations_keep_their_placeholders(self):
		for source, translated in shipped_translations().items():
			with self.subTest(source=source):
				self.assertEqual(
					sorted(re.findall(r"\{\d\}", source)), sorted(re.findall(r"\{\d\}", translated))
				)
