"""How fast does `run(corrupt=1.0)` memorize CIFAR-10 random labels, against a reference recipe?

Claim: on one GPU, `run('cifar10', corrupt=1.0)`, called as a user calls it (the data read from its cache), reaches
100 % training accuracy on random labels in a small fraction of the reference recipe's time (WRN-28-1, fp32, batch
128, per-item PIL decoding with one worker, timed for a few steps and extrapolated to the 154 epochs it needs).
Measured on an NVIDIA H200, 2026-11-27 (`bench/results/h200-2026-11-27-quick-v7.json`, then from `bench/memorize.py`):
fitted at epoch 23 in 22.4 s from the start of training, 22.8 s from the call, against 2,460 s for the reference:
110 times faster; test accuracy 9.9 %.

On a CPU `--quick` trains a small MLP on a 1,000-image subset instead, so the script can be checked anywhere.

    python bench/time_to_fit.py --data PATH/cifar10 [--quick] [--eager] [--out bench/results/DEVICE-DATE-time-to-fit.json]
"""
import argparse, time
from pathlib import Path
import torch
import randfit_fai
from randfit_fai.data import get_dataset, subsample
from randfit_fai.recipes import recipe_for
from common import REF_EPOCHS, attempt, machine, reference_epoch, save_json, timed_run

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--data', default='cifar10', help='CIFAR-10 folder in fastai layout, or a registered dataset name')
    p.add_argument('--quick', action='store_true', help='fewer reference steps; on a CPU a 1,000-image subset and an MLP')
    p.add_argument('--device', default=None)
    p.add_argument('--epochs', type=int, default=None, help="run()'s epoch budget (default: its recipe)")
    p.add_argument('--eager', action='store_true', help='run() with eager steps (graph=False) only')
    p.add_argument('--out', help='write the results as JSON here')
    a = p.parse_args()
    dev = torch.device(a.device or ('cuda' if torch.cuda.is_available() else 'cpu'))
    res = dict(**machine(dev), torch=torch.__version__, randfit_fai=randfit_fai.__version__,
               date=time.strftime('%Y-%m-%d'), quick=a.quick)
    ds = get_dataset(a.data)
    small = a.quick and dev.type != 'cuda'
    if small: ds = subsample(ds, min(1000, len(ds.x_train)))
    recipe = recipe_for(tuple(ds.x_train.shape[1:]), len(ds.x_train), device=dev)
    if small: recipe.update(arch='mlp-1x512', bs=64, lr=0.01, epochs=40)
    if a.epochs: recipe['epochs'] = a.epochs
    res.update(recipe=recipe, n_train=len(ds.x_train), n_test=len(ds.x_test))
    folder = Path(a.data) if Path(a.data).is_dir() else None
    if folder:
        steps = 2 if small else (20 if a.quick else 60)
        res['reference_epoch_s'] = reference_epoch(folder, len(ds.x_train), dev, steps=steps)
        res['reference_fit_s'] = res['reference_epoch_s'] * REF_EPOCHS
        print(f"reference epoch {res['reference_epoch_s']:.2f} s", flush=True)
    run_ds = ds if small else None  # the whole data set: run() reads it from the cache, as a user's call does
    graph = False if a.eager else None
    r, out = timed_run(a.data, run_ds, recipe, dev, reference_fit_s=res.get('reference_fit_s'), graph=graph)
    s = r.summary
    res.update(out, graph=s['graph'], corrupt_frac_realized=s['corrupt_frac_realized'], precision=s['precision'],
               history=r.history.to_dict(orient='list'))
    save_json(res, a.out)
    if dev.type == 'cuda' and not a.eager:
        eager = attempt(res, 'eager_run', timed_run, a.data, run_ds, recipe, dev, 'eager_',
                        res.get('reference_fit_s'), graph=False)
        if eager is not None: res.update(eager[1])
    for k in ('device', 'reference_fit_s', 'fit_epoch', 'time_to_fit_s', 'wall_to_fit_s', 'setup_s',
              'speedup_vs_reference', 'wall_speedup_vs_reference', 'final_train_acc', 'final_test_acc',
              'eager_time_to_fit_s', 'peak_gpu_mem_gib', 'errors'):
        if k in res: print(f'{k:30s} {res[k]}')
    save_json(res, a.out)
