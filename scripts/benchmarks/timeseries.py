"""Time-series benchmark: sciddiff models (conditional, CSDI-style, and unconditional + MMPS guidance) beside the
classical baselines, in one run, with train/validation/test splits in time.

Parts (``--parts``, default all): l96 (Lorenz-96 forecasting vs climatology and a perfect-model ensemble), l63
(Lorenz-63 assimilation in SDA's two settings vs a 16k-particle FFBS smoother), co2 (imputation at 10/50/90%
missing vs the unobserved-components Kalman smoother), sunspots (forecasting vs SARIMAX), ks (1000+-step
Kuramoto-Sivashinsky rollouts vs the simulator), motions (BasicMotions imputation on held-out cases vs SARIMAX
Kalman smoothing). Models are trained on first use into
``outputs/benchmarks/timeseries`` (scripts/benchmarks/timeseries_models.py) and reused; each part's numbers go to
``outputs/benchmarks/timeseries/results/<part>.json``. ``--write`` records the tables of the parts run (or, with
``--report``, of the saved results) into BENCHMARKS.md under the keys ``timeseries-<part>``.

  python scripts/benchmarks/timeseries.py --parts l96,l63 --write
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import torch

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from scripts.benchmarks.markdown import replace_section  # noqa: E402
from scripts.benchmarks.timeseries_common import set_threads  # noqa: E402
from scripts.benchmarks.timeseries_ks import ks_rollout  # noqa: E402
from scripts.benchmarks.timeseries_lorenz import l63_assimilation, l96_forecast  # noqa: E402
from scripts.benchmarks.timeseries_models import WORK  # noqa: E402
from scripts.benchmarks.timeseries_motions import motions_imputation  # noqa: E402
from scripts.benchmarks.timeseries_real import co2_imputation, sunspots_forecast  # noqa: E402
from scripts.benchmarks.timeseries_tables import TABLES  # noqa: E402

PARTS = {
    "l96": lambda: l96_forecast(),
    "l63": lambda: {"every8": l63_assimilation("every8"), "every1": l63_assimilation("every1")},
    "co2": lambda: co2_imputation(),
    "sunspots": lambda: sunspots_forecast(),
    "ks": lambda: ks_rollout(figure=WORK / "results" / "ks_rollouts.png"),
    "motions": lambda: motions_imputation(),
}


def run_part(name: str) -> dict[str, Any]:
    load = os.getloadavg()[0]
    start = time.perf_counter()
    result = PARTS[name]()
    result = {
        "result": result,
        "seconds": time.perf_counter() - start,
        "load": (load + os.getloadavg()[0]) / 2,
        "date": datetime.date.today().isoformat(),
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
    }
    path = WORK / "results" / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=1))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--parts", default=",".join(PARTS), help=f"comma-separated subset of {list(PARTS)}")
    parser.add_argument("--write", action="store_true", help="record the tables in BENCHMARKS.md")
    parser.add_argument("--report", action="store_true", help="only build the tables from saved results")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (2 when the part runs alone)")
    args = parser.parse_args()
    parts = [p for p in args.parts.split(",") if p]
    unknown = sorted(set(parts) - set(PARTS))
    if unknown:
        parser.error(f"unknown parts {unknown}; choose from {list(PARTS)}")
    set_threads(args.threads)
    command = "python scripts/benchmarks/timeseries.py --parts " + ",".join(parts) + (" --write" if args.write else "")
    command += f" --threads {args.threads}" if args.threads != 1 else ""
    for name in parts:
        path = WORK / "results" / f"{name}.json"
        record = json.loads(path.read_text()) if args.report else run_part(name)
        title, body = TABLES[name](record, command)
        print(f"{title}\n\n{body}\n", flush=True)
        if args.write:
            replace_section(ROOT / "BENCHMARKS.md", f"timeseries-{name}", title, body)


if __name__ == "__main__":
    main()
