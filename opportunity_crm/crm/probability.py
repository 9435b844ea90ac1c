"""An Opportunity's probability follows its Sales Stage unless a value was typed for it; its weighted
amount is always Opportunity Amount * Probability / 100."""

import frappe
from frappe.utils import flt


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
	doc.weighted_amount = weighted(doc.opportunity_amount, doc.probability)


def weighted(amount, probability) -> float:
	return flt(flt(amount) * flt(probability) / 100, 2)


def follow_stage(stage, method=None) -> None:
	"""Sales Stage.on_update: Opportunities that follow the stage take its new probability."""
	if not stage.has_value_changed("probability"):
		return
	opportunity = frappe.qb.DocType("Opportunity")
	(
		frappe.qb.update(opportunity)
		.set(opportunity.probability, flt(stage.probability))
		.set(opportunity.weighted_amount, opportunity.opportunity_amount * flt(stage.probability) / 100)
		.where((opportunity.sales_stage == stage.name) & (opportunity.probability_overridden == 0))
		.run()
	)
