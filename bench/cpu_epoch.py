"""The paper's scale on a CPU: seconds per epoch on all 50,000 CIFAR-10 images, fp32 against bf16, as `run()` trains.

Claim measured (CPU bf16, issue 31): on a CPU with bf16 units `run()` now trains in bf16 autocast (channels_last for
convolutions), and an epoch on all of CIFAR-10 takes less time than in fp32, which is what `run()` used before. The
MLP 1x512 of the default recipe (batch 64, 781 steps) runs whole epochs: training, the test pass and the pass over the
whole training set that measures memorization, the median of the epochs after the first. A WRN is too slow for whole
epochs in a benchmark: its training step is timed over `--steps` steps of the same `Learner` and projected to the
epoch's 390 steps (training only). Both precisions run in one call, so their ratio holds on a loaded machine too.
Measured on this project's 2-core CPU (AVX512-BF16, no AMX), torch 2.14.1, one thread, 2026-12-06
(`bench/results/cpu-2026-12-06-cpu-epoch.json`, the Performance page): the MLP epoch 9.45 s in fp32, 7.31 s in bf16
(1.29×); a training step of WRN-10-1 0.126 s → 0.080 s, of WRN-16-4 3.09 s → 1.53 s (10 min of training an epoch).

    python bench/cpu_epoch.py --data PATH/cifar10 [--epochs 3] [--steps 6] [--archs mlp-1x512 wrn-10-1 wrn-16-4]

PATH/cifar10 in fastai's layout (`../shared/tools/materialize.py PATH --only cifar10`).
"""
import argparse, json, os, platform, statistics, tempfile, time
from pathlib import Path
import torch
from fastai.callback.core import Callback, CancelFitException
from randfit_fai.data import get_dataset
from randfit_fai.engine import cpu_bf16
from randfit_fai.training import run


class StepTimes(Callback):
    "Wall time of each training step; stops the fit after `n` of them"
    order = 100

    def __init__(self, n): self.n, self.times = n, []
    def before_batch(self): self.t = time.perf_counter()

    def after_batch(self):
        if not self.training: return
        self.times.append(time.perf_counter() - self.t)
        if len(self.times) == self.n: raise CancelFitException


def mlp_epoch(ds, precision, epochs):
    "Median seconds of an epoch after the first (training, test pass, memorization pass)"
    r = run(ds.name, data=ds, corrupt=1.0, arch='mlp-1x512', epochs=epochs, stop_at_fit=False, precision=precision,
            quiet=True, device='cpu', out=tempfile.mkdtemp())
    h = r.history.iloc[1:]
    parts = {k: round(statistics.median(h[f'{k}_s']), 3) for k in ('train', 'test', 'memorize')}
    return dict(epoch_s=round(sum(parts.values()), 3), **parts, train_acc=float(r.history.train_acc.iloc[-1]),
                threads=r.summary['threads'], bs=r.summary['bs'], steps=r.summary['steps_per_epoch'])


def step_time(ds, arch, precision, steps):
    "Median seconds of a training step of `arch`, as `run()` builds its `Learner`"
    cb = StepTimes(steps + 2)
    r = run(ds.name, data=ds, corrupt=1.0, arch=arch, epochs=1, stop_at_fit=False, precision=precision, quiet=True,
            device='cpu', out=tempfile.mkdtemp(), cbs=cb)
    return statistics.median(cb.times[2:]), r.summary


if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--data', required=True)
    p.add_argument('--epochs', type=int, default=3)
    p.add_argument('--steps', type=int, default=6)
    p.add_argument('--archs', nargs='+', default=['mlp-1x512', 'wrn-10-1', 'wrn-16-4'])
    p.add_argument('--out', default=f"bench/results/cpu-{time.strftime('%Y-%m-%d')}-cpu-epoch.json")
    a = p.parse_args()
    t = time.perf_counter()
    ds = get_dataset(a.data)
    rows = [dict(case='load', seconds=round(time.perf_counter() - t, 1), n_train=len(ds.x_train))]
    for arch in a.archs:
        for prec in ('fp32', 'bf16'):
            if arch.startswith('mlp'): row = dict(arch=arch, precision=prec, **mlp_epoch(ds, prec, a.epochs))
            else:
                s, summ = step_time(ds, arch, prec, a.steps)
                n = summ['steps_per_epoch']
                row = dict(arch=arch, precision=prec, step_s=round(s, 3), steps=n, bs=summ['bs'],
                           train_epoch_s_projected=round(s * n, 1), threads=summ['threads'])
            rows.append(row)
            print(row, flush=True)
    res = dict(claim=__doc__.splitlines()[0], machine=platform.processor() or platform.machine(), cpu_bf16=cpu_bf16(),
               cores=os.cpu_count(), load_1min=os.getloadavg()[0], torch=torch.__version__,
               date=time.strftime('%Y-%m-%d'), rows=rows)
    Path(a.out).write_text(json.dumps(res, indent=1))
    print('written', a.out)
