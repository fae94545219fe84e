#!/usr/bin/env python3
"""Draws the plots of `ttscale report`: accuracy vs mean compute tokens and accuracy vs mean wall time.

Usage: plot_report.py REPORT.json OUT_DIR
Reads the JSON the C++ side wrote (it owns every number; this script only draws) and writes
OUT_DIR/accuracy_vs_tokens.png and OUT_DIR/accuracy_vs_wall.png: one panel per (model, dataset),
one point per strategy config with its 95% Wilson interval, the Pareto front (is_pareto, computed
in C++ on compute tokens = prompt + generated) as a step line.
Exits 3 with a one-line message when matplotlib is missing, so the report notes it.
"""
import json
import os
import sys


def main():
    if len(sys.argv) != 3:
        print("usage: plot_report.py REPORT.json OUT_DIR", file=sys.stderr)
        return 2
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed", file=sys.stderr)
        return 3
    with open(sys.argv[1]) as f:
        report = json.load(f)
    groups = {}
    for row in report["rows"]:
        if row["n"] > 0:
            groups.setdefault((row["model"], row["dataset"]), []).append(row)
    if not groups:
        print("no finished cells to plot", file=sys.stderr)
        return 4
    for x_key, x_label, out_name in (("mean_tokens_compute", "mean compute tokens per problem (prompt + generated)",
                                      "accuracy_vs_tokens.png"),
                                     ("mean_wall_seconds", "mean wall seconds per problem", "accuracy_vs_wall.png")):
        fig, axes = plt.subplots(1, len(groups), figsize=(6.5 * len(groups), 4.8), squeeze=False)
        for ax, ((model, dataset), rows) in zip(axes[0], sorted(groups.items())):
            for row in rows:
                y = row["accuracy"]
                err = [[y - row["ci_low"]], [row["ci_high"] - y]]
                ax.errorbar([row[x_key]], [y], yerr=err, fmt="o", capsize=3, label=row["label"])
            if x_key == "mean_tokens_compute":
                front = sorted((r for r in rows if r.get("is_pareto")), key=lambda r: r[x_key])
            else:
                front, best = [], -1.0
                for row in sorted(rows, key=lambda r: (r[x_key], -r["accuracy"])):
                    if row["accuracy"] > best:
                        front.append(row)
                        best = row["accuracy"]
            if len(front) > 1:
                ax.step([r[x_key] for r in front], [r["accuracy"] for r in front], where="post", color="gray",
                        linestyle="--", linewidth=1, label="Pareto front")
            ax.set_title(f"{dataset} ({model})")
            ax.set_xlabel(x_label)
            ax.set_ylabel("accuracy (95% Wilson CI)")
            ax.set_ylim(-0.02, 1.02)
            ax.grid(alpha=0.3)
            ax.legend(fontsize=7, loc="best")
        fig.tight_layout()
        fig.savefig(os.path.join(sys.argv[2], out_name), dpi=100)
        plt.close(fig)
    return 0


if __name__ == "__main__":
    sys.exit(main())
