"""Draw the results of run.py as one PNG: a panel per benchmark, a box per site (the box is the
interquartile range, the line in it the median, the whiskers min and max) and every run as a dot.

    ../env/bin/python ../apps/opportunity_crm/benchmarks/chart.py results/2026-11-28.json ../docs/benchmarks.png
"""

import json
import sys


def draw(results: dict, path: str) -> None:
	import matplotlib

	matplotlib.use("Agg")
	import matplotlib.pyplot as plt

	panels = results["benchmarks"]
	columns = 2
	rows = (len(panels) + columns - 1) // columns
	fig, axes = plt.subplots(rows, columns, figsize=(14.5, 3.1 * rows), squeeze=False)
	for ax, panel in zip(axes.flat, panels, strict=False):
		labels = list(panel["series"])
		data = [panel["series"][label] for label in labels]
		colours = ["#9e9e9e" if label.startswith("stock") else "#1f77b4" for label in labels]
		boxes = ax.boxplot(
			data,
			orientation="horizontal",
			whis=(0, 100),
			widths=0.55,
			patch_artist=True,
			medianprops={"color": "black"},
		)
		for box, colour in zip(boxes["boxes"], colours, strict=True):
			box.set_facecolor(colour)
			box.set_alpha(0.45)
		for y, (values, colour) in enumerate(zip(data, colours, strict=True), start=1):
			ax.plot(values, [y] * len(values), "o", color=colour, markersize=3.5, alpha=0.9)
		ax.set_yticks(range(1, len(labels) + 1), labels, fontsize=8.5)
		ratio = f"   (ratio {panel['ratio']:.2f})" if panel.get("ratio") is not None else ""
		ax.set_title(panel["title"] + ratio, fontsize=10, loc="left")
		ax.set_xlim(left=0)  # from zero, so that the gap between the boxes reads as the ratio it is
		ax.grid(axis="x", alpha=0.3)
		ax.tick_params(axis="x", labelsize=8)
	for ax in list(axes.flat)[len(panels) :]:
		ax.axis("off")
		ax.text(
			0,
			0.5,
			"grey: stock ERPNext   blue: with opportunity_crm\n"
			"box: interquartile range, line: median,\nwhiskers: min and max, dots: each run\n"
			"ratio: of the medians, app / stock; 3: the app's form load,\n"
			"largest / smallest Dynamic Link table; 4: report / hand-written SQL\n\n"
			f"{results.get('machine', '')}\n{results.get('versions', '')}",
			fontsize=8.5,
			va="center",
		)
	kind = "quick run" if results.get("quick") else "full run"
	fig.suptitle(
		f"opportunity_crm vs stock ERPNext, measured in turns ({kind}, {results.get('date', '')})",
		fontsize=12,
	)
	fig.tight_layout()
	fig.savefig(path, dpi=110)
	plt.close(fig)


if __name__ == "__main__":
	with open(sys.argv[1]) as f:
		draw(json.load(f), sys.argv[2])
