#!/usr/bin/env python3
"""Draws a Chrome trace of the GIL (tests/05-threads/gil_trace.hpp) as an SVG timeline.

    WORKBOOK_GIL_TRACE=gil.json build/solutions/tests/05-threads/ch05_threads_tests \
        --gtest_filter='*Step19*'
    python3 chapters/05-threads/images/render_gil_trace.py gil.json gil-switching.svg

One row per thread: a filled bar while it holds the GIL, a hatched thin bar while it waits for
it. Standard library only.
"""
import json
import sys

ROW = 44
LEFT = 60
WIDTH = 900
TOP = 30


def main(source, target):
    with open(source, encoding="utf-8") as handle:
        events = json.load(handle)["traceEvents"]
    names = {e["tid"]: e["args"]["name"] for e in events if e["ph"] == "M"}
    slices = [e for e in events if e["ph"] == "X"]
    start = min(e["ts"] for e in slices)
    end = max(e["ts"] + e["dur"] for e in slices)
    scale = WIDTH / max(end - start, 1)
    rows = sorted(names)
    height = TOP + ROW * len(rows) + 40
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{LEFT + WIDTH + 20}" '
        f'height="{height}" font-family="sans-serif" font-size="12">',
        '<defs><pattern id="wait" width="6" height="6" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><rect width="3" height="6" fill="#bbb"/></pattern></defs>',
        f'<rect width="100%" height="100%" fill="white"/>',
        f'<text x="{LEFT}" y="18">who holds the GIL: two CPU-bound threads, '
        f'switch interval 5 ms (filled: holds it, hatched: waits for it)</text>',
    ]
    for index, tid in enumerate(rows):
        y = TOP + index * ROW
        out.append(f'<text x="8" y="{y + 22}">{names[tid]}</text>')
        for e in slices:
            if e["tid"] != tid:
                continue
            x = LEFT + (e["ts"] - start) * scale
            w = max(e["dur"] * scale, 0.5)
            if e["cat"] == "run":
                colour = "#3572A5" if index % 2 == 0 else "#E8A33D"
                out.append(f'<rect x="{x:.2f}" y="{y + 8}" width="{w:.2f}" height="22" '
                           f'fill="{colour}"/>')
            else:
                out.append(f'<rect x="{x:.2f}" y="{y + 14}" width="{w:.2f}" height="10" '
                           f'fill="url(#wait)"/>')
    axis_y = TOP + ROW * len(rows) + 4
    out.append(f'<line x1="{LEFT}" y1="{axis_y}" x2="{LEFT + WIDTH}" y2="{axis_y}" '
               'stroke="black"/>')
    total_ms = (end - start) / 1000
    step = 5 if total_ms <= 80 else 10 if total_ms <= 200 else 50
    tick = 0
    while tick <= total_ms:
        x = LEFT + tick * 1000 * scale
        out.append(f'<line x1="{x:.1f}" y1="{axis_y}" x2="{x:.1f}" y2="{axis_y + 5}" '
                   'stroke="black"/>')
        out.append(f'<text x="{x:.1f}" y="{axis_y + 18}" text-anchor="middle">{tick} ms</text>')
        tick += step
    out.append("</svg>")
    with open(target, "w", encoding="utf-8") as handle:
        handle.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
