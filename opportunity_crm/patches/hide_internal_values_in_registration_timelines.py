import re

import frappe

# the approval's timeline entry as the app wrote it before (in English or Indonesian): it named the Lead
# and the Sales Person, which the partner reads on its registration's timeline
OLD_ENTRY = re.compile(
	r"^(?:(?P<en>Approved)|Disetujui)\. Lead .*?, (?:Opportunity|Peluang) (?P<opportunity>.*?), "
	r"(?:Sales Person|Tenaga Penjual) .*?; (?:protected until|terlindungi sampai) (?P<until>.*?)\."
	r"(?P<rest>.*)$",
	re.DOTALL,
)


def execute():
	"""The approval entries already on registrations' timelines say only what the partner may know (the
	Opportunity and the protection), as new ones do (`deal_registration.record_decision`)."""
	for comment in frappe.get_all(
		"Comment",
		filters={
			"reference_doctype": "Deal Registration",
			"comment_type": "Info",
			"content": ("like", "%. Lead %"),
		},
		fields=["name", "content"],
	):
		content = without_internal_values(comment.content)
		if content != comment.content:
			frappe.db.set_value("Comment", comment.name, "content", content, update_modified=False)


def without_internal_values(content: str) -> str:
	entry = OLD_ENTRY.match(content or "")
	if not entry:
		return content
	text = (
		"Approved: Opportunity {0}, protected until {1}."
		if entry["en"]
		else "Disetujui: Peluang {0}, terlindungi sampai {1}."
	)
	return text.format(entry["opportunity"], entry["until"]) + entry["rest"]
