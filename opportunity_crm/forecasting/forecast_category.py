"""An Opportunity's forecast category follows its Sales Stage unless chosen by hand, as its probability does
(`opportunity_crm.forecasting.probability`); its status decides first.

- Categories: Pipeline, Best Case, Commit (open deals), Closed (won), Omitted (never counted).
- The status decides for finished deals, whatever the stage or a hand choice says (`status_category`):
  Lost → Omitted; Converted (ERPNext: an ordered Quotation) or converted (the app's `converted_on`: it
  became a Customer or got a Sales Order) → Closed; Closed without conversion → Omitted.
- An open Opportunity takes its stage's category (`Sales Stage.forecast_category`, Pipeline when the stage
  has none) unless one was chosen for it (`forecast_category_overridden`). Choosing the stage's value again
  makes it follow the stage again. A reopened Opportunity follows its stage again.

Where it is kept: `Opportunity.validate` (every save), `on_change` (after `db_set` / `set_status`, which
ERPNext's Quotation uses to mark an Opportunity Lost or Converted, and which the app's own conversions and
merges use: `document_writes.set_through_document`), `Sales Stage.on_update` (set-based, as the
probability), install and migrate (set-based backfill, which also corrects rows converted before the app
wrote conversions through the document). Every path that changes the status or `converted_on` runs one of
these, so the stored field is the category: the list, the forecast and the snapshot read it as it is.
"""

import frappe

from opportunity_crm.base.chunks import update_in_chunks
from opportunity_crm.constants.opportunity_status import CLOSED_STATUSES
from opportunity_crm.forecasting.movement import record_set_based_change
from opportunity_crm.opportunities.won import is_won, won_sql

CATEGORIES = ("Pipeline", "Best Case", "Commit", "Closed", "Omitted")
OPEN_CATEGORIES = ("Pipeline", "Best Case", "Commit")
# What Frappe and the desk put in a new document's Select field when nothing was chosen: the first option.
UNCHOSEN = ("", None, CATEGORIES[0])


def status_category(status: str | None, converted_on=None) -> str | None:
	"""The category the status imposes, or None for an open Opportunity. The one rule; the SQL twin is
	`status_category_cases`."""
	if status == "Lost":
		return "Omitted"
	if is_won(status, converted_on):
		return "Closed"
	if status == "Closed":
		return "Omitted"
	return None


def status_category_cases(alias: str) -> str:
	"""`status_category` as the first WHEN branches of an SQL CASE over the Opportunity `alias`."""
	return f"""when {alias}.`status` = 'Lost' then 'Omitted'
		when {won_sql(alias)} then 'Closed'
		when {alias}.`status` = 'Closed' then 'Omitted'"""


def stage_category(sales_stage: str | None) -> str:
	return (
		sales_stage and frappe.get_cached_value("Sales Stage", sales_stage, "forecast_category")
	) or CATEGORIES[0]


def apply_stage_forecast_category(doc) -> None:
	"""Runs in Opportunity.validate."""
	imposed = status_category(doc.status, doc.get("converted_on"))
	if imposed:
		doc.forecast_category = imposed
		return

	default = stage_category(doc.sales_stage)
	previous = doc.get_doc_before_save()
	if previous is None:
		typed = doc.get("forecast_category") not in UNCHOSEN
	elif status_category(previous.status, previous.get("converted_on")):
		# reopened: the category it had was the status's, not a choice
		typed = False
		doc.forecast_category_overridden = 0
	else:
		typed = doc.get("forecast_category") != previous.get("forecast_category")
	if typed:
		doc.forecast_category_overridden = int(doc.forecast_category != default)
	if not doc.get("forecast_category_overridden") or doc.get("forecast_category") not in CATEGORIES:
		doc.forecast_category = default
		doc.forecast_category_overridden = 0


def follow_status(doc) -> None:
	"""Runs in Opportunity.on_change: after a save (nothing to do then) and after `db_set` / `set_status`,
	which change the status without a validate."""
	imposed = status_category(doc.status, doc.get("converted_on"))
	# what the row holds: a save stored this value, `db_set` changed only the status
	stored = doc.get("forecast_category")
	if not imposed and stored in ("Closed", "Omitted") and not doc.get("forecast_category_overridden"):
		imposed = stage_category(doc.sales_stage)
	if imposed and stored != imposed:
		# not db_set: that would run on_change (and every app's handlers of it) once more
		frappe.db.set_value("Opportunity", doc.name, "forecast_category", imposed, update_modified=False)
		doc.forecast_category = imposed


def follow_stage(stage, method=None) -> None:
	"""Sales Stage.on_update: open Opportunities that follow the stage take its new category."""
	if not stage.has_value_changed("forecast_category"):
		return
	opportunity = frappe.qb.DocType("Opportunity")
	category = stage.forecast_category or CATEGORIES[0]
	followers = (
		(opportunity.sales_stage == stage.name)
		& (opportunity.forecast_category_overridden == 0)
		& opportunity.status.notin(CLOSED_STATUSES)
		& opportunity.converted_on.isnull()
	)
	# the pipeline movement log: one row per Opportunity that changes, before the update
	record_set_based_change("forecast_category", category, followers)
	frappe.qb.update(opportunity).set(opportunity.forecast_category, category).where(followers).run()


def backfill_forecast_categories(chunk: int = 1000) -> int:
	"""Give every Opportunity the category its status or stage gives it (install, and the patch that added
	the field): set-based, a commit per chunk of `chunk` Opportunities in `name` order; `modified` is left as
	it was; a category chosen by hand stays. Return how many rows changed (a second run: none)."""
	return update_in_chunks(backfill_forecast_categories_between, chunk)


def backfill_forecast_categories_between(lo: str, hi: str) -> int:
	"""One chunk of `backfill_forecast_categories`: the Opportunities named in (lo, hi]."""
	frappe.db.sql(
		f"""
		update `tabOpportunity` o
		left join `tabSales Stage` stage on stage.name = o.sales_stage
		set o.forecast_category = case
			{status_category_cases("o")}
			when o.forecast_category_overridden = 1 and o.forecast_category in %(categories)s
				then o.forecast_category
			else ifnull(nullif(stage.forecast_category, ''), '{CATEGORIES[0]}')
		end
		where o.name > %(lo)s and o.name <= %(hi)s
		""",
		{"lo": lo, "hi": hi, "categories": CATEGORIES},
	)
	return frappe.db._cursor.rowcount or 0
