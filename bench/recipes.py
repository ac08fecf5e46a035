"""Which one-cycle recipe memorizes CIFAR-10 random labels fastest? Runs `run(corrupt=1.0)` for a few recipes, same process.

    python bench/recipes.py --data PATH/cifar10 [--out FILE]
"""
import argparse, json, sys, tempfile, time
from pathlib import Path
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from randfit_fai.data import get_dataset
from randfit_fai.run import run

# Measured on an H200 (bench/results/h200-2026-11-27-recipes-v1.json, eager steps), with WRN-16-4 unless named: 512/0.2/30
# fitted (epoch 25, 48 s); 512/0.4/24 reached 37.6 %, 512/0.2/20 82.1 %, WRN-16-8 512/0.2/20 74.5 %, 1024/0.4/30 99.988 %
# (1.1 s per epoch against 1.9 s at batch 512). Next, with each step one CUDA graph: batch 1024 at lower peaks, and
# shorter schedules at batch 512 (the default, 512/0.2/30, is timed by bench/memorize.py).
RECIPES = [dict(arch='wrn-16-4', bs=1024, lr=0.3, epochs=30), dict(arch='wrn-16-4', bs=512, lr=0.2, epochs=24),
           dict(arch='wrn-16-4', bs=1024, lr=0.2, epochs=30), dict(arch='wrn-16-4', bs=512, lr=0.1, epochs=24),
           dict(arch='wrn-16-4', bs=2048, lr=0.3, epochs=40)]

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument('--data', default='cifar10'); p.add_argument('--out'); p.add_argument('--budget_s', type=float, default=240)
    a = p.parse_args()
    ds, rows, t0 = get_dataset(a.data), [], time.perf_counter()
    dev = torch.cuda.get_device_name() if torch.cuda.is_available() else 'cpu'
    for r in RECIPES:
        if time.perf_counter() - t0 > a.budget_s: break
        t = time.perf_counter()
        try:
            s = run(a.data, corrupt=1.0, data=ds, out=tempfile.mkdtemp(), quiet=True, **r).summary
            rows.append(dict(**r, device=dev, graph=s['graph'], fit_epoch=s['fit_epoch'], fit_time_s=s['fit_time_s'], epochs_run=s['epochs_run'],
                             final_train_acc=s['final_train_acc'], final_test_acc=s['final_test_acc'], wall_s=time.perf_counter() - t))
        except Exception as e: rows.append(dict(**r, device=dev, error=f'{type(e).__name__}: {e}'))
        print(rows[-1], flush=True)
        if a.out: Path(a.out).write_text(json.dumps(rows, indent=1, default=float))
