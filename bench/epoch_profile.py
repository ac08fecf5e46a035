"""Where a full-size CPU epoch's time goes: `cProfile` of the MLP 1x512 on all 50,000 CIFAR-10 images, as `run()` trains.

Claim measured (the overhead around the model's work): the functions that take the time of an epoch (training, test
pass, memorization pass) of the default recipe's MLP (batch 64, 781 steps), by their own time, grouped as the model's
work (PyTorch's kernels), fastai's loop and callbacks, the optimizer, and the batches. On this project's 2-core CPU
(AVX512-BF16, no AMX), bf16, one thread, 2026-12-06: see `bench/results/cpu-2026-12-06-epoch-profile.json`.

    python bench/epoch_profile.py --data PATH/cifar10 [--precision bf16] [--out ...]
"""
import argparse, cProfile, json, pstats, tempfile, time
from pathlib import Path
import torch
from randfit_fai.data import get_dataset
from randfit_fai.training import run

# where a function's own time is counted: the first pattern its file or name matches
GROUPS = [('optimizer', ('optimizer', 'sgd', 'fastai/optimizer')), ('batches', ('engine.py:2', 'engine.py:3', 'engine.py:4',
          'fastai/data', 'collate')), ('fastai loop and callbacks', ('fastai/', 'randfit_fai/', 'fastcore/')),
          ('model and loss (PyTorch)', ('torch', '<built-in', '<method'))]


def group(key):
    f, line, name = key
    where = f'{f}:{line} {name}'
    return next((g for g, pats in GROUPS if any(p in where for p in pats)), 'other')


if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--data', required=True)
    p.add_argument('--precision', default='bf16')
    p.add_argument('--out', default=f"bench/results/cpu-{time.strftime('%Y-%m-%d')}-epoch-profile.json")
    a = p.parse_args()
    ds = get_dataset(a.data)
    kw = dict(data=ds, corrupt=1.0, arch='mlp-1x512', stop_at_fit=False, precision=a.precision, threads=1, quiet=True,
              device='cpu')
    run(ds.name, epochs=1, out=tempfile.mkdtemp(), **kw)  # warm up: imports, caches
    prof = cProfile.Profile()
    t = time.perf_counter()
    prof.runcall(run, ds.name, epochs=1, out=tempfile.mkdtemp(), **kw)
    total = time.perf_counter() - t
    st = pstats.Stats(prof)
    top = sorted(st.stats.items(), key=lambda kv: -kv[1][2])[:25]
    groups = {}
    for k, v in st.stats.items(): groups[group(k)] = groups.get(group(k), 0) + v[2]
    res = dict(claim=__doc__.splitlines()[0], precision=a.precision, threads=1, torch=torch.__version__,
               date=time.strftime('%Y-%m-%d'), run_s=round(total, 2),
               own_time_by_group={g: round(s, 2) for g, s in sorted(groups.items(), key=lambda kv: -kv[1])},
               top=[dict(fn=f'{Path(k[0]).name}:{k[1]} {k[2]}', calls=v[1], own_s=round(v[2], 3), cum_s=round(v[3], 3))
                    for k, v in top])
    Path(a.out).write_text(json.dumps(res, indent=1))
    print(json.dumps({k: res[k] for k in ('run_s', 'own_time_by_group')}, indent=1))
    for r in res['top'][:15]: print(r)
