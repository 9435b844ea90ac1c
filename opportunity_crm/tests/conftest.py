"""pytest entry point to the same suite that `bench run-tests --app opportunity_crm` runs.

From the bench's `sites` folder:
    FRAPPE_SITE=mysite.localhost ../env/bin/python -m pytest ../apps/opportunity_crm/opportunity_crm/tests

It connects to the site as `bench run-tests` does (Administrator, `in_test`, the `before_tests` hooks)
before any test module is imported; the tests themselves are the unittest classes bench runs.
"""

import os

import frappe
import pytest


def pytest_configure(config):
	site = os.environ.get("FRAPPE_SITE")
	if not site:
		raise pytest.UsageError(
			"Set FRAPPE_SITE to the site to test (pytest runs from the bench's sites folder)."
		)
	sites_path = os.environ.get("FRAPPE_SITES_PATH", ".")
	if not os.path.isdir(os.path.join(sites_path, site)):
		raise pytest.UsageError(
			f"No site {site!r} in {os.path.abspath(sites_path)}: run from the bench's sites folder."
		)

	frappe.init(site=site, sites_path=sites_path)
	frappe.connect()
	frappe.flags.in_test = True
	frappe.in_test = True  # what Frappe v16 reads (`flags.in_test` is its deprecated alias)
	frappe.clear_cache()
	for method in frappe.get_hooks("before_tests", app_name="opportunity_crm"):
		frappe.get_attr(method)()


def pytest_unconfigure(config):
	if getattr(frappe.local, "db", None):
		frappe.db.rollback()
		frappe.destroy()
