"""Which one-cycle recipe memorizes CIFAR-10 random labels fastest? Runs `run(corrupt=1.0)` for a few recipes and seeds, same process.

    python bench/recipes.py --data PATH/cifar10 [--out FILE] [--seeds 0 1 2] [--budget_s 240]
"""
import argparse, itertools, json, sys, tempfile, time
from pathlib import Path
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from randfit_fai.data import get_dataset
from randfit_fai.run import run

# Measured on H200s, 2026-11-27 (bench/results/h200-2026-11-27-recipes-v1 … v6.json; the table is in nbs/03_run.ipynb):
# with each step one CUDA graph, batch 1024 at peaks 0.15-0.2 fitted at epoch 22-23 of 24-26 in 20.1-21.5 s; 1024/0.2/22
# fell two images short, 512/0.2/30 one image, 2048/0.4/30 one image; peaks of 0.4 failed at batch 512 and 1024.
# Next: the default (1024/0.2/26) and its neighbours over several seeds.
RECIPES = [dict(arch='wrn-16-4', bs=1024, lr=0.2, epochs=26), dict(arch='wrn-16-4', bs=1024, lr=0.15, epochs=24),
           dict(arch='wrn-16-4', bs=1024, lr=0.2, epochs=24), dict(arch='wrn-16-4', bs=1024, lr=0.15, epochs=26)]

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument('--data', default='cifar10'); p.add_argument('--out'); p.add_argument('--budget_s', type=float, default=240)
    p.add_argument('--seeds', type=int, nargs='+', default=[0])
    a = p.parse_args()
    ds, rows, t0 = get_dataset(a.data), [], time.perf_counter()
    cuda = torch.cuda.is_available()
    dev = torch.cuda.get_device_name() if cuda else 'cpu'
    for r, seed in itertools.product(RECIPES, a.seeds):  # each recipe over the seeds, until the budget is spent
        if time.perf_counter() - t0 > a.budget_s: break
        t = time.perf_counter()
        if cuda: torch.cuda.reset_peak_memory_stats()
        try:
            s = run(a.data, corrupt=1.0, data=ds, out=tempfile.mkdtemp(), quiet=True, seed=seed, **r).summary
            rows.append(dict(**r, seed=seed, device=dev, graph=s['graph'], fit_epoch=s['fit_epoch'], fit_time_s=s['fit_time_s'],
                             epochs_run=s['epochs_run'], final_train_acc=s['final_train_acc'], final_test_acc=s['final_test_acc'],
                             wall_s=time.perf_counter() - t, peak_gpu_mem_gib=torch.cuda.max_memory_allocated() / 2**30 if cuda else None))
        except Exception as e: rows.append(dict(**r, seed=seed, device=dev, error=f'{type(e).__name__}: {e}'))
        print(rows[-1], flush=True)
        if a.out: Path(a.out).write_text(json.dumps(rows, indent=1, default=float))
