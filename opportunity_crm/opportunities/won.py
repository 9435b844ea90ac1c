"""What "won" means, in one place: an Opportunity is won once it became a Customer or got a Sales Order (the
app dates that in `converted_on`), or once ERPNext set it Converted (an ordered Quotation). The forecast
category (Closed), the movement log (one Won row, when it becomes won) and the Pipeline Movement report's
open deals (not won) all read it from here."""

WON_STATUS = "Converted"


def is_won(status: str | None, converted_on=None) -> bool:
	return status == WON_STATUS or bool(converted_on)


def won_sql(alias: str) -> str:
	"""`is_won` as an SQL condition over the Opportunity `alias`."""
	return f"({alias}.`status` = '{WON_STATUS}' or {alias}.`converted_on` is not null)"
