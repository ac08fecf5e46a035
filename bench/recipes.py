"""Which one-cycle recipe memorizes CIFAR-10 random labels fastest? Runs `run(corrupt=1.0)` for a few recipes and seeds, same process.

Claim: the default GPU recipe (WRN-16-4, batch 1024, peak lr 0.2, 26 epochs) fits CIFAR-10 random labels with every
seed tried, in about 20 s. Measured on an NVIDIA H200, 2026-11-27 (`bench/results/h200-2026-11-27-recipes-v7.json`):
seeds 0, 1, 2 fitted at epochs 23, 23, 25 in 21.3, 21.1, 22.7 s (more in the comment below).

    python bench/recipes.py --data PATH/cifar10 [--out FILE] [--seeds 0 1 2] [--budget_s 240] [--recipes wrn-16-2/1024/0.2/34 ...]

Seed by seed: every recipe with seed 0, then every recipe with seed 1, ..., until the budget is spent. With a folder,
the reference recipe is timed first (`--reference_steps`), so each row has its speedup over it, and each run is called
as a user calls it, with the folder's name: its wall time from the call includes reading the data from its cache.
"""
import argparse, itertools, json, time
from pathlib import Path
import torch

from randfit_fai.data import get_dataset
from common import REF_EPOCHS, machine, reference_epoch, timed_run

# Measured on H200s, 2026-11-27 (bench/results/h200-2026-11-27-recipes-v1 … v8.json; the table is in nbs/02_recipes.ipynb):
# the default WRN-16-4 1024/0.2/26 fitted with seeds 0, 1, 2 (epochs 23-25, 21.1-22.7 s); every 22-epoch WRN-16-4
# schedule ended a few images short; WRN-16-3 1024/0.2/28 fitted at epochs 25-26 (21.3-22.3 s); WRN-16-2 fell a few
# images short at 30 and 34 epochs; WRN-10-4 (0.53 s per epoch) fitted at epoch 29 of 30 in 15.7 s with one seed of three.
# Next: WRN-10-4 with a few more epochs, over seeds, beside the default.
RECIPES = [dict(arch='wrn-16-4', bs=1024, lr=0.2, epochs=26), dict(arch='wrn-10-4', bs=1024, lr=0.2, epochs=32),
           dict(arch='wrn-10-4', bs=1024, lr=0.2, epochs=34), dict(arch='wrn-10-4', bs=1024, lr=0.15, epochs=32)]


def recipe(s):
    "A recipe from ARCH/BS/LR/EPOCHS"
    try: arch, bs, lr, epochs = s.split('/'); return dict(arch=arch, bs=int(bs), lr=float(lr), epochs=int(epochs))
    except ValueError: raise argparse.ArgumentTypeError(f"{s!r} is not ARCH/BS/LR/EPOCHS, e.g. wrn-16-2/1024/0.2/34") from None

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--data', default='cifar10'); p.add_argument('--out'); p.add_argument('--budget_s', type=float, default=240)
    p.add_argument('--seeds', type=int, nargs='+', default=[0])
    p.add_argument('--recipes', nargs='+', type=recipe, metavar='ARCH/BS/LR/EPOCHS', help='instead of RECIPES, e.g. wrn-16-2/1024/0.2/34')
    p.add_argument('--reference_steps', type=int, default=20, help='steps to time the reference recipe for (0: not at all)')
    a = p.parse_args()
    if a.reference_steps < 0: p.error(f'--reference_steps must be 0 or more, got {a.reference_steps}')
    ds, rows, t0 = get_dataset(a.data), [], time.perf_counter()
    dev = torch.device('cuda' if torch.cuda.is_available() else 'cpu')
    where = machine(dev)
    folder = Path(a.data).is_dir()
    ref = reference_epoch(a.data, len(ds.x_train), dev, a.reference_steps) * REF_EPOCHS if folder and a.reference_steps else None
    for seed, r in itertools.product(a.seeds, a.recipes or RECIPES):
        if time.perf_counter() - t0 > a.budget_s: break
        try:
            res, out = timed_run(a.data, None if folder else ds, r, dev, reference_fit_s=ref, seed=seed)
            rows.append(dict(**r, seed=seed, **where, graph=res.summary['graph'], reference_fit_s=ref, **out))
        except Exception as e: rows.append(dict(**r, seed=seed, **where, error=f'{type(e).__name__}: {e}'))
        print(rows[-1], flush=True)
        if a.out: Path(a.out).write_text(json.dumps(rows, indent=1, default=float))
