"""How many intra-op threads should a CPU run use: one, all cores, or what the load leaves? Quiet, and beside one busy process.

Claim measured (the CPU thread choice): two threads help a quiet 2-core machine and cost several times as much as soon
as one other process is busy; one thread barely notices the busy process. Hence `run()`'s rule: one thread below
`THREADS_MIN_MFLOPS` of training work per step; above it the cores other processes leave free (`AdaptThreads`, which
looks again every few seconds), unless `OMP_NUM_THREADS` is set; the goal is to be within 1.1× of the better fixed
count, quiet and busy. Measured on this project's 2-core CPU (x86_64), 2026-11-30 with fixed counts
(`bench/results/cpu-2026-11-30-threads.json`): WRN-16-4 1.76 times faster with 2 threads when quiet, 3.4 times slower
with them when busy; 2026-12-06 with the adaptive count (`bench/results/cpu-2026-12-06-threads.json`, the Performance
page).

For each case: `run()` for `--epochs` epochs (no stopping at fit) with 1 thread, 2 threads and the adaptive choice
(`auto`), first quiet, then beside a busy process (`while True: pass`, started before the run); the seconds per epoch
(training + test pass + memorization pass) are the median over the epochs after the first.

    python bench/threads.py [--root PATH] [--epochs 3] [--out bench/results/cpu-DATE-threads.json]

PATH holds `cifar10/` in fastai's layout (e.g. from `../shared/tools/materialize.py PATH --only cifar10 --per-class 100`);
without it only the digits case runs.
"""
import argparse, json, platform, statistics, tempfile, time
from pathlib import Path
import torch
from randfit_fai.data import get_dataset, subsample
from randfit_fai.recipes import recipe_for, step_mflops, cpu_threads, THREADS_MIN_MFLOPS
from randfit_fai.training import run
from common import busy

CASES = [('digits', 'mlp-1x512', None), ('cifar10', 'mlp-3x512', 1000), ('cifar10', 'wrn-10-1', 1000),
         ('cifar10', 'alexnet', 1000), ('cifar10', 'wrn-16-4', 256)]


def epoch_s(ds, arch, threads, epochs):
    "Median seconds per epoch of `run()` after its first epoch"
    r = run(ds.name, corrupt=1.0, arch=arch, epochs=epochs, stop_at_fit=False, data=ds, threads=threads, quiet=True,
            out=tempfile.mkdtemp(), device='cpu')
    h = r.history.iloc[1:]
    return round(statistics.median(h.train_s + h.test_s + h.memorize_s), 4)


if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--root'); p.add_argument('--out'); p.add_argument('--epochs', type=int, default=3)
    a = p.parse_args()
    rows = []
    for name, arch, n in CASES:
        if name != 'digits' and not a.root: continue
        ds = get_dataset('digits' if name == 'digits' else Path(a.root) / name)
        ds = subsample(ds, n, 0, n // 5 if n else None)
        ds.name = name
        shape = tuple(ds.x_train.shape[1:])
        bs = recipe_for(shape, len(ds.x_train), arch)['bs']
        mflops = step_mflops(arch, ds.n_classes, shape, bs)
        row = dict(dataset=name, arch=arch, n_train=len(ds.x_train), bs=bs, mflops_per_step=round(mflops, 1),
                   chosen=cpu_threads(mflops) or 'auto')
        for load in ('quiet', 'busy'):
            for t in (1, 2, None):
                with busy(load == 'busy'): row[f"{load}_{t or 'auto'}t_epoch_s"] = epoch_s(ds, arch, t, a.epochs)
            row[f'{load}_2t_over_1t'] = round(row[f'{load}_2t_epoch_s'] / row[f'{load}_1t_epoch_s'], 2)
            best = min(row[f'{load}_1t_epoch_s'], row[f'{load}_2t_epoch_s'])
            row[f'{load}_auto_over_best'] = round(row[f'{load}_autot_epoch_s'] / best, 2)
        rows.append(row)
        print(json.dumps(row), flush=True)
    res = dict(claim=__doc__.splitlines()[0], threshold_mflops=THREADS_MIN_MFLOPS, epochs=a.epochs,
               device=f'cpu ({platform.machine()}, {torch.get_num_threads()} cores)', torch=torch.__version__,
               date=time.strftime('%Y-%m-%d'), rows=rows)
    if a.out: Path(a.out).write_text(json.dumps(res, indent=1) + '\n')
