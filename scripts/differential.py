"""Run a differential campaign against real Keras 3 and print its summary (docs/reliability.md).

    .venv/bin/python scripts/differential.py --examples 10000 --seed 6
    .venv/bin/python scripts/differential.py --examples 2000 --shrink     # also shrink each unexplained group

Generates specs with the Hypothesis strategy of tests/differential/, judges each with Keras (build, one run,
every layer's shape and parameter counts), checks the emitted PyTorch model's shapes on every valid spec and
runs specbridge's cross-check on a sample, then groups the differences: known ones by their entry in
tests/differential/known.py, the others by layer type and message (each with its smallest spec).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--crosscheck-every", type=int, default=25, help="cross-check one valid spec in N (0: none)")
    parser.add_argument("--no-torch", action="store_true", help="skip the emitted PyTorch model's shapes")
    parser.add_argument("--shrink", action="store_true", help="shrink each unexplained group to a minimal spec")
    parser.add_argument("--json", type=Path, help="also write the unexplained groups' specs here")
    args = parser.parse_args(argv)

    from differential import campaign

    tally = campaign.run(args.examples, args.seed, args.crosscheck_every, torch=not args.no_torch)
    print(campaign.summary(tally, args.seed))
    if args.shrink:
        from differential.shrink import shrink_groups

        for key, spec in shrink_groups(tally.unexplained).items():
            print(f"shrunk  {key}\n        {json.dumps(spec)}")
    if args.json:
        args.json.write_text(json.dumps({k: v[:20] for k, v in tally.unexplained.items()}, indent=1))
    return 1 if tally.unexplained else 0


if __name__ == "__main__":
    sys.exit(main())
