"""Markdown tables of the time-series benchmark parts, with their targets, from the saved result records."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from scripts.benchmarks.markdown import table
from scripts.benchmarks.timeseries_common import fmt, setting_label

LABELS = {"conditional": "sciddiff conditional (CSDI-style)", "guided": "sciddiff prior + MMPS guidance"}


def _label(name: str) -> str:
    return LABELS.get(name, name)


def _header(record: dict[str, Any], command: str) -> list[str]:
    res = record["result"]
    lines = [
        f"Command: `{command}`",
        f"(run {record['date']}, {record['seconds']:.0f} s for this part's evaluation, torch {record['torch']}, "
        f"load average about {record['load']:.1f} on the 2 shared cores, "
        f"torch.set_num_threads({record.get('threads', 1)})). Training:",
    ]
    parts = {"": res} if "training" in res else res
    records: dict[str, dict[tuple, str]] = {}  # way -> distinct training records -> the first part using it
    for name, part in parts.items():
        for way, t in part["training"].items():
            records.setdefault(way, {}).setdefault((t["seconds"], t["steps"], t["load"]), name)
    for way, distinct in records.items():
        trained = "sciddiff prior (unconditional)" if way == "guided" else _label(way)  # one prior, any guidance
        for (seconds, steps, load), name in distinct.items():
            label = f"{trained}, {name}" if len(distinct) > 1 else trained
            lines.append(f"- {label}: {steps} steps in {seconds / 60:.1f} min (load {load:.1f})")
    return lines


def _verdict(ok: bool) -> str:
    return "met" if ok else "**missed**"


def l96(record: dict[str, Any], command: str) -> tuple[str, str]:
    res = record["result"]
    rows = res["rows"]
    clim, perfect = rows["climatology"]["crps"], rows["perfect"]["crps"]
    order = ["conditional", "guided", "perfect", "persistence", "climatology"]
    names = {"perfect": "perfect model (true L96 from EnKF analyses)"}
    tuning = res.get("guidance")
    if tuning:
        names["guided"] = f"sciddiff prior + {setting_label(tuning['best'])}"
    body = table(
        ["method", "CRPS (mean over 16 leads)", "/ climatology", "/ perfect model", "spread-skill", "90% coverage",
         "RMSE of mean", "CRPS lead 1 / 8 / 16", "seconds"],
        [
            [
                names.get(k, _label(k)), fmt(r["crps"]), fmt(r["crps"] / clim), fmt(r["crps"] / perfect),
                fmt(r.get("spread_skill")), fmt(r["coverage_90"]), fmt(r["rmse"]),
                " / ".join(fmt(r["crps_per_lead"][h]) for h in (0, 7, 15)), f"{r['seconds']:.0f}",
            ]
            for k in order
            for r in [rows[k]]
        ],
    )  # fmt: skip
    targets = []
    for k in ("conditional", "guided"):
        r = rows[k]
        ssr = r.get("spread_skill", float("nan"))
        targets.append(
            f"- {names.get(k, _label(k))}: CRPS {fmt(r['crps'] / clim)} x climatology (target <= 0.5: "
            f"{_verdict(r['crps'] <= 0.5 * clim)}); spread-skill {fmt(ssr)} (target 0.8-1.2: "
            f"{_verdict(0.8 <= ssr <= 1.2)}); {fmt(r['crps'] / perfect)} x the perfect-model CRPS"
        )
    if tuning:  # the guided prior's setting, chosen on validation windows
        tried = "; ".join(f"{setting_label(g)} {fmt(g['val_score'])}" for g in tuning["tried"])
        targets.append(
            f"- guided setting chosen by the lead-step CRPS on {tuning['windows']} validation windows "
            f"({tuning['samples']} samples): {tried}"
        )
    text = [
        *_header(record, command),
        "",
        f"Lorenz-96, 40 sites, F = 8, dt = 0.05; {res['windows']} held-out windows (test block in time): 16 steps "
        "observed with N(0, 1) noise, the next 16 (clean truth) forecast with 50 members. CRPS per site and lead.",
        "",
        *body,
        "",
        "Targets:",
        *targets,
    ]
    return "### Time series: Lorenz-96 probabilistic forecasting", "\n".join(text)


def l63(record: dict[str, Any], command: str) -> tuple[str, str]:
    lines = [*_header(record, command), ""]
    names = {"enks": "ensemble Kalman smoother (512)", "particle smoother": "particle smoother FFBS (reference)"}
    for res in record["result"].values():
        rows = res["rows"]
        chosen = res.get("guidance", {}).get("best", {}).get("method")

        def label(k: str, chosen: str | None = chosen) -> str:
            return f"sciddiff prior + {chosen.upper()} guidance" if k == "guided" and chosen else _label(k)

        lines += [
            f"Every {res['every']} steps, sigma = {res['sigma']} on x / 8 ({res['windows']} held-out 64-step windows; "
            "errors in SDA's standardised units x / (8, 9, 8.6)):",
            "",
            *table(
                [
                    "method",
                    "RMSE of posterior mean",
                    "/ reference",
                    "W1 to reference",
                    "CRPS",
                    "90% coverage",
                    "seconds",
                ],
                [
                    [
                        names.get(k, label(k)),
                        fmt(r["rmse"]),
                        fmt(r["rmse_ratio"]),
                        fmt(r["w1_to_reference"]),
                        fmt(r["crps"]),
                        fmt(r["coverage_90"]),
                        f"{r['seconds']:.0f}",
                    ]
                    for k, r in rows.items()
                ],
            ),
            "",
        ]
        for k in ("conditional", "guided"):
            ratio = rows[k]["rmse_ratio"]
            lines.append(f"- {label(k)}: RMSE ratio {fmt(ratio)} (target <= 1.3: {_verdict(ratio <= 1.3)})")
        if "guidance" in res:  # the guided prior's setting, chosen on validation windows
            tuning = res["guidance"]
            tried = "; ".join(f"{setting_label(g)} {fmt(g['val_rmse'])}" for g in tuning["tried"])
            lines.append(f"- guided setting chosen by validation RMSE of the posterior mean (8 windows): {tried}")
        lines.append("")
    return "### Time series: Lorenz-63 data assimilation (SDA settings)", "\n".join(lines).rstrip()


def co2(record: dict[str, Any], command: str) -> tuple[str, str]:
    res = record["result"]
    chosen = res.get("guidance", {}).get("best", {}).get("method")

    def label(k: str) -> str:
        return f"sciddiff prior + {chosen.upper()} guidance" if k == "guided" and chosen else _label(k)

    lines = [
        *(line.replace(_label("guided"), label("guided")) for line in _header(record, command)),
        "",
        f"Mauna Loa weekly CO2, the {res['windows']} non-overlapping {res['block']}-week blocks of the test years "
        "(1995-2001), a random fraction of the observed weeks of each block hidden; scores (ppm) on the hidden weeks. "
        f"Each method also sees the observed weeks before the block: the diffusion models the {res['history']} "
        "weeks before it (the first part of their window), the Kalman smoother (unobserved components: local "
        "linear trend + 3 seasonal harmonics, fitted on the training years) the 10 years before it.",
        "",
    ]
    rows = []
    for rate, methods in res["rows"].items():
        for k, r in methods.items():
            rows.append([f"{float(rate):.0%}", label(k), fmt(r["crps"]), fmt(r["rmse"]), fmt(r["coverage_90"]),
                         f"{r['seconds']:.0f}"])  # fmt: skip
    lines += table(["missing", "method", "CRPS", "RMSE of mean", "90% coverage", "seconds"], rows)
    if "guidance" in res:  # the guided prior's MMPS setting, chosen on the validation years
        tuning = res["guidance"]
        lines += [
            "",
            f"Guided setting chosen on the {tuning['windows']} validation-year blocks (50 samples; CRPS at each rate):",
            "",
        ]
        grid = [[setting_label(g), fmt(g["noise"], 2), " / ".join(fmt(c) for c in g["crps"]), fmt(g["mean_crps"]),
                 "chosen" if {k: v for k, v in g.items() if k not in ("crps", "mean_crps")} == tuning["best"] else ""]
                for g in tuning["grid"]]  # fmt: skip
        head = ["setting", "likelihood std (ppm)", "validation CRPS", "mean", ""]
        lines += table(head, grid)
    lines += ["", "Target (CRPS below the Kalman smoother's):"]
    for rate, methods in res["rows"].items():
        kalman = methods["kalman smoother"]["crps"]
        for k in ("conditional", "guided"):
            c = methods[k]["crps"]
            lines.append(f"- {float(rate):.0%} missing, {label(k)}: {fmt(c)} vs {fmt(kalman)}: {_verdict(c < kalman)}")
    return "### Time series: CO2 imputation on held-out years", "\n".join(lines)


def motions(record: dict[str, Any], command: str) -> tuple[str, str]:
    res = record["result"]
    names = {"kalman smoother": "Kalman smoother (SARIMAX(3, 0, 0) per channel)", "linear": "linear interpolation"}
    lines = [
        *_header(record, command),
        "",
        f"UEA BasicMotions (aeon), 6 channels at 10 Hz: the {res['windows']} non-overlapping 50-step windows of the "
        f"{res['cases']} held-out cases, a random fraction of their entries hidden (a channel hidden entirely gets "
        "one step back); scores on the hidden entries, 50 members. The Kalman smoother's parameters are fitted per "
        f"channel on the {res['train_cases']} training cases. Linear interpolation is one member, so its CRPS is "
        "its MAE and its coverage is not an interval's.",
        "",
    ]
    rows = [
        [f"{float(rate):.0%}", names.get(k, _label(k)), fmt(r["crps"]), fmt(r["rmse"]), fmt(r["coverage_90"]),
         f"{r['seconds']:.0f}"]
        for rate, methods in res["rates"].items()
        for k, r in methods.items()
    ]  # fmt: skip
    lines += table(["missing", "method", "CRPS", "RMSE of mean", "90% coverage", "seconds"], rows)
    lines += ["", "CRPS against the Kalman smoother's (the issue sets no target for this set):"]
    for rate, methods in res["rates"].items():
        c, kalman = methods["conditional"]["crps"], methods["kalman smoother"]["crps"]
        lines.append(f"- {float(rate):.0%} missing: {fmt(c)} vs {fmt(kalman)} ({fmt(c / kalman)}x)")
    return "### Time series: BasicMotions imputation on held-out cases", "\n".join(lines)


def sunspots(record: dict[str, Any], command: str) -> tuple[str, str]:
    res = record["result"]
    rows = res["rows"]
    kalman = rows["kalman (sarimax)"]["crps"]
    lines = [
        *_header(record, command),
        "",
        f"Monthly sunspot numbers, {res['windows']} forecast origins in the test years (1970-2009, every 16 months): "
        "48 months of context, 16 months forecast with 100 members. SARIMAX(3, 0, 1) with a constant is fitted on "
        "the training years and filters the 600 months before each origin; the diffusion models see the 48-month "
        "context only.",
        "",
        *table(
            ["method", "CRPS", "/ SARIMAX", "RMSE of mean", "spread-skill", "90% coverage", "seconds"],
            [
                [
                    _label(k),
                    fmt(r["crps"]),
                    fmt(r["crps"] / kalman),
                    fmt(r["rmse"]),
                    fmt(r.get("spread_skill")),
                    fmt(r["coverage_90"]),
                    f"{r['seconds']:.0f}",
                ]
                for k, r in rows.items()
            ],
        ),
        "",
        "Target (CRPS below SARIMAX's):",
    ]
    for k in ("conditional", "guided"):
        c = rows[k]["crps"]
        lines.append(f"- {_label(k)}: {fmt(c)} vs {fmt(kalman)}: {_verdict(c < kalman)}")
    return "### Time series: sunspot forecasting", "\n".join(lines)


def ks(record: dict[str, Any], command: str) -> tuple[str, str]:
    res = record["result"]
    rows = res["rows"]
    members = res["members"]
    lines = [
        *_header(record, command),
        "",
        f"Kuramoto-Sivashinsky (64 points, L = 22, dt = 0.25): rollouts of {res['n_steps']} steps chained from "
        f"32-step windows with an 8-step overlap ({members['conditional']} conditional and {members['guided']} "
        "guided members), started from held-out states, against every held-out simulator step. Spectrum error: "
        "relative L2 error of the time-averaged log energy spectrum over wavenumbers 1-21; W1 of the pooled "
        "marginal over the simulator's std. The last row is the floor of these statistics: one half of the "
        "held-out trajectories against the other.",
        "",
        *table(
            [
                "method",
                "spectrum error",
                "W1 / std",
                "spectrum error (last 500)",
                "W1 / std (last 500)",
                "max |u|",
                "max overlap error",
                "seconds",
            ],
            [
                [
                    _label(k),
                    fmt(r["spectrum_error"]),
                    fmt(r["w1_over_std"]),
                    fmt(r["spectrum_error_last500"]),
                    fmt(r["w1_over_std_last500"]),
                    fmt(r["max_abs"], 2),
                    fmt(r.get("overlap_error")),
                    f"{r['seconds']:.0f}" if "seconds" in r else "",
                ]
                for k, r in rows.items()
                if "failed" not in r
            ],
        ),
        "",
        "Targets (spectrum error <= 0.10, W1 <= 0.1 std):",
    ]
    for k in ("conditional", "guided"):
        r = rows[k]
        if "failed" in r:
            lines.append(f"- {_label(k)}: **missed**, the rollout failed: {r['failed']}")
            continue
        lines.append(
            f"- {_label(k)}: {fmt(r['spectrum_error'])} ({_verdict(r['spectrum_error'] <= 0.1)}), "
            f"{fmt(r['w1_over_std'])} ({_verdict(r['w1_over_std'] <= 0.1)})"
        )
    return "### Time series: Kuramoto-Sivashinsky long rollouts", "\n".join(lines)


TABLES: dict[str, Callable[[dict[str, Any], str], tuple[str, str]]] = {
    "l96": l96,
    "motions": motions,
    "l63": l63,
    "co2": co2,
    "sunspots": sunspots,
    "ks": ks,
}
