# SPDX-License-Identifier: GPL-2.0
"""Per-cut stalls, computed from a consumer's progress timestamps."""

import bisect


def attribute_stalls(times, events, end, slack=0.5):
    """Per event, the longest pause in ``times`` (sorted progress timestamps)
    that it caused. A pause (gap between consecutive progress timestamps)
    is put down to the last event before it began (allowing ``slack``
    seconds for what was already in flight when the event was marked), so
    a pause that began with a cut and lasted past the restore counts for
    the cut, and one that began seconds after a restore (the failback
    moving the address) for the restore. Returns [(label, t, stall
    seconds or None, first progress after the event in seconds or None)];
    gaps ending after ``end`` are cut there."""
    evs = sorted(events)
    starts = [t for t, _ in evs]
    best = [None] * len(evs)
    for a, b in zip(times, times[1:]):
        i = bisect.bisect_right(starts, a + slack) - 1
        if i < 0:
            continue
        g = min(b, end) - a
        if best[i] is None or g > best[i]:
            best[i] = g
    if times:  # a pause still going on at the end
        i = bisect.bisect_right(starts, times[-1] + slack) - 1
        if i >= 0 and end - times[-1] > (best[i] or 0):
            best[i] = end - times[-1]
    out = []
    for i, (t, label) in enumerate(evs):
        j = bisect.bisect_right(times, t)
        resumed = times[j] - t if j < len(times) else None
        out.append((label, t, best[i], resumed))
    return out


def longest_gap(times):
    if len(times) < 2:
        return 0.0, None
    g, at = max((b - a, a) for a, b in zip(times, times[1:]))
    return g, at


def fmt_s(x):
    return "-" if x is None else f"{x:.2f}s"


def stall_report(times, cutter):
    """Lines for the TAP diagnostics: each cut's and restore's stall in the
    progress timestamps ``times``, their medians and maxima, and the
    cutter's notes."""
    stalls = attribute_stalls(times, cutter.events, times[-1] if times else 0)
    lines = [f"{label:24} stall {fmt_s(stall):>8}  first progress after {fmt_s(resumed)}"
             for label, _t, stall, resumed in stalls]
    cut = sorted(s for l, _, s, _ in stalls if s is not None and ":nic" in l)
    back = sorted(s for l, _, s, _ in stalls if s is not None and ":restore" in l)
    if cut:
        lines.append(f"stall per cut: median {fmt_s(cut[len(cut) // 2])}, max {fmt_s(cut[-1])}; "
                     f"per restore (failback): median {fmt_s(back[len(back) // 2] if back else None)}, "
                     f"max {fmt_s(back[-1] if back else None)}")
    return lines + cutter.notes
