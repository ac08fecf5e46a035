"""Which one-cycle recipe memorizes CIFAR-10 random labels fastest? Runs `run(corrupt=1.0)` for a few recipes and seeds, same process.

    python bench/recipes.py --data PATH/cifar10 [--out FILE] [--seeds 0 1 2] [--budget_s 240]

Seed by seed: every recipe with seed 0, then every recipe with seed 1, ..., until the budget is spent.
"""
import argparse, itertools, json, sys, time
from pathlib import Path
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from randfit_fai.data import get_dataset
from memorize import timed_run

# Measured on H200s, 2026-11-27 (bench/results/h200-2026-11-27-recipes-v1 … v6.json; the table is in nbs/03_run.ipynb):
# with each step one CUDA graph, batch 1024 at peaks 0.15-0.2 fitted at epoch 22-23 of 24-26 in 20.1-21.5 s; 1024/0.2/22
# fell two images short, 512/0.2/30 one image, 2048/0.4/30 one image; peaks of 0.4 failed at batch 512 and 1024.
# Now: the default (1024/0.2/26) over seeds; shorter schedules at lower peaks; a network a quarter the size (WRN-16-2).
RECIPES = [dict(arch='wrn-16-4', bs=1024, lr=0.2, epochs=26), dict(arch='wrn-16-4', bs=1024, lr=0.15, epochs=22),
           dict(arch='wrn-16-4', bs=1024, lr=0.1, epochs=22), dict(arch='wrn-16-2', bs=1024, lr=0.2, epochs=30)]

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--data', default='cifar10'); p.add_argument('--out'); p.add_argument('--budget_s', type=float, default=240)
    p.add_argument('--seeds', type=int, nargs='+', default=[0])
    a = p.parse_args()
    ds, rows, t0 = get_dataset(a.data), [], time.perf_counter()
    dev = torch.device('cuda' if torch.cuda.is_available() else 'cpu')
    name = torch.cuda.get_device_name(dev) if dev.type == 'cuda' else 'cpu'
    for seed, r in itertools.product(a.seeds, RECIPES):
        if time.perf_counter() - t0 > a.budget_s: break
        try:
            res, out = timed_run(a.data, ds, r, dev, seed=seed)
            rows.append(dict(**r, seed=seed, device=name, graph=res.summary['graph'], **out))
        except Exception as e: rows.append(dict(**r, seed=seed, device=name, error=f'{type(e).__name__}: {e}'))
        print(rows[-1], flush=True)
        if a.out: Path(a.out).write_text(json.dumps(rows, indent=1, default=float))
