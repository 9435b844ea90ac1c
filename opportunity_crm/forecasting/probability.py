"""An Opportunity's probability follows its Sales Stage unless a value was typed for it.

Its weighted amount has one definition, `weighted()`: amount * probability / 100. The Opportunity stores it
twice, as ERPNext stores its amount: `weighted_amount` in the Opportunity's currency (beside Opportunity
Amount on the form) and `base_weighted_amount` in the company's currency. Every total (the pipeline report,
the workspace's number card) sums `base_weighted_amount`: amounts in different currencies are never added.
"""

import frappe
from frappe.model.meta import get_field_precision
from frappe.query_builder.functions import Round
from frappe.utils import flt

from opportunity_crm.base.chunks import update_in_chunks

WEIGHTED_FIELDS = {"weighted_amount": "opportunity_amount", "base_weighted_amount": "base_opportunity_amount"}


def apply_stage_probability(doc) -> None:
	"""Runs in Opportunity.validate, on every path that changes the stage or the amount."""
	stage_probability = (
		flt(frappe.get_cached_value("Sales Stage", doc.sales_stage, "probability"))
		if doc.sales_stage
		else None
	)
	previous = doc.get_doc_before_save()
	# A new Opportunity has a typed probability only if it is not empty: the desk sends 0 for an
	# untouched Percent field.
	typed = (
		flt(doc.probability) != 0 if previous is None else flt(doc.probability) != flt(previous.probability)
	)
	if typed:
		doc.probability_overridden = int(
			stage_probability is None or flt(doc.probability) != stage_probability
		)
	if not doc.probability_overridden and stage_probability is not None:
		doc.probability = stage_probability

	doc.base_opportunity_amount = flt(doc.opportunity_amount) * flt(doc.conversion_rate or 1)
	set_weighted_amounts(doc)


def weighted(amount, probability):
	"""The weighted amount: amount * probability / 100. Takes numbers or query-builder terms, so the
	document and the set-based updates share this one definition."""
	return amount * probability / 100


def set_weighted_amounts(doc) -> None:
	precision = weighted_precision()
	for field, amount_field in WEIGHTED_FIELDS.items():
		doc.set(field, flt(weighted(flt(doc.get(amount_field)), flt(doc.probability)), precision))


def weighted_precision() -> int:
	return get_field_precision(frappe.get_meta("Opportunity").get_field("base_weighted_amount"))


def set_weighted_amounts_in_db(query, opportunity, probability=None):
	"""Add to an UPDATE of `tabOpportunity` the weighted amounts at `probability` (default: each row's)."""
	probability = opportunity.probability if probability is None else probability
	precision = weighted_precision()
	for field, amount_field in WEIGHTED_FIELDS.items():
		query = query.set(
			opportunity[field], Round(weighted(opportunity[amount_field], probability), precision)
		)
	return query


def follow_stage(stage, method=None) -> None:
	"""Sales Stage.on_update: Opportunities that follow the stage take its new probability."""
	if not stage.has_value_changed("probability"):
		return
	opportunity = frappe.qb.DocType("Opportunity")
	query = frappe.qb.update(opportunity).set(opportunity.probability, flt(stage.probability))
	(
		set_weighted_amounts_in_db(query, opportunity, flt(stage.probability))
		.where((opportunity.sales_stage == stage.name) & (opportunity.probability_overridden == 0))
		.run()
	)


def backfill_weighted_amounts(chunk: int = 1000) -> int:
	"""Set both weighted amounts of every Opportunity from its amounts and probability (install, and the
	patch that added `base_weighted_amount`): set-based, a commit per chunk of `chunk` Opportunities in
	`name` order; `modified` is left as it was. Return how many rows changed (a second run: none)."""
	return update_in_chunks(backfill_weighted_amounts_between, chunk)


def backfill_weighted_amounts_between(lo: str, hi: str) -> int:
	"""One chunk of `backfill_weighted_amounts`: the Opportunities named in (lo, hi]."""
	opportunity = frappe.qb.DocType("Opportunity")
	(
		set_weighted_amounts_in_db(frappe.qb.update(opportunity), opportunity)
		.where((opportunity.name > lo) & (opportunity.name <= hi))
		.run()
	)
	return frappe.db._cursor.rowcount or 0
